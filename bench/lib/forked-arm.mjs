// Starts one benchmark arm as its own Node process. An arm that shares the benchmark's process
// shares its process-wide state too — an AsyncLocalStorage enabled by one arm makes every arm
// pay its async hooks, a patched prototype changes the baseline — so each arm runs alone.
// The child reports `{ type: 'ready', port }` over IPC once it listens, answers
// `{ type: 'cpu' }` with `{ type: 'cpu', micros }` (its own CPU time: user + system, so the
// load generator's CPU never enters the number), and stops on SIGTERM.
import { fork } from 'node:child_process'

const START_TIMEOUT_MS = 60_000

/**
 * @param {{ script: string, args?: string[], env?: NodeJS.ProcessEnv, execArgv?: string[], path?: string }} options
 * @returns {Promise<{ url: string, cpuMicros: () => Promise<number>, close: () => Promise<void> }>}
 */
export function startForkedArm({ script, args = [], env = {}, execArgv = [], path = '/' }) {
  const child = fork(script, args, { env: { ...process.env, ...env }, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${script} ${args.join(' ')} did not start within ${START_TIMEOUT_MS / 1000} s`))
    }, START_TIMEOUT_MS)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${script} ${args.join(' ')} exited with code ${code}`))
    })
    child.on('message', (message) => {
      if (message?.type !== 'ready') return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      resolve({
        url: `http://127.0.0.1:${message.port}${path}`,
        cpuMicros: () => askCpu(child),
        close: () => stop(child),
      })
    })
  })
}

function askCpu(child) {
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (message?.type !== 'cpu') return
      child.off('message', onMessage)
      resolve(message.micros)
    }
    child.on('message', onMessage)
    if (!child.send({ type: 'cpu' })) reject(new Error('the arm process is gone'))
  })
}

function stop(child) {
  return new Promise((done) => {
    if (child.exitCode !== null) return done()
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => {
      clearTimeout(kill)
      done()
    })
    child.kill('SIGTERM')
  })
}

/**
 * The child's side: call once the server listens. Answers CPU queries and closes on SIGTERM.
 * @param {{ port: number, close: () => Promise<void> | void }} server
 */
export function serveArm({ port, close }) {
  process.on('message', (message) => {
    if (message?.type !== 'cpu') return
    const { user, system } = process.cpuUsage()
    process.send({ type: 'cpu', micros: user + system })
  })
  let stopping = false
  const shutdown = async () => {
    if (stopping) return
    stopping = true
    await close()
    process.exit(0)
  }
  process.on('SIGTERM', shutdown)
  process.on('disconnect', shutdown)
  process.send({ type: 'ready', port })
}
