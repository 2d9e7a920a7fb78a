import { describePreemption } from './preemption-suite.js'

// Read on first use, so setting it before the first call selects the fallback for this file:
// what users get where no prebuilt fits their platform or Node ABI.
process.env.INTRO_COW_PREEMPTION = 'inspector'

describePreemption('inspector')
