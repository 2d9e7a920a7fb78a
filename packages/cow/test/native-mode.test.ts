import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { prebuiltPath } from '../src/native.js'
import { describePreemption } from './preemption-suite.js'

// No INTRO_COW_PREEMPTION: the default. In this workspace the build compiles the watchdog, so
// the default must be native; this fails when the prebuilt silently goes missing.
delete process.env.INTRO_COW_PREEMPTION

describe('the native watchdog', () => {
  it('is prebuilt for this platform, architecture and Node ABI', () => {
    expect(prebuiltPath()).toContain(`prebuilds/${process.platform}-${process.arch}/cow.abi${process.versions.modules}.node`)
    expect(existsSync(prebuiltPath())).toBe(true)
  })
})

describePreemption('native')
