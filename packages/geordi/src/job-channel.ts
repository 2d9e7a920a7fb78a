/** Channel on which every job's final state and timings are published (`{ id, state, workerHost, timings, error }`). */
export const JOB_CHANNEL = 'intro:geordi:job'
