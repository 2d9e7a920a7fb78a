import { describePreemption } from './preemption-suite.js'

// Read on first use, so setting it before the first call selects the fallback for this file.
process.env.INTRO_COW_PREEMPTION = 'vm'

describePreemption('vm')
