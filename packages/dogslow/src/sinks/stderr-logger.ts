import { hostname } from 'node:os'
import type { DogslowLogger } from '../types.js'

const LEVEL_NUMBERS = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const

/**
 * The logger used when only `DOGSLOW_LOGGER=<name>` is set: one pino-format JSON line per
 * entry on stderr, so log shippers that parse pino read it unchanged.
 */
export function createStderrLogger(name: string): DogslowLogger {
  const base = { pid: process.pid, hostname: hostname(), name }
  const line = (level: keyof typeof LEVEL_NUMBERS) => (object: object, message?: string) => {
    const entry = { level: LEVEL_NUMBERS[level], time: Date.now(), ...base, ...object, msg: message }
    process.stderr.write(`${JSON.stringify(entry)}\n`)
  }
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error'), fatal: line('fatal') }
}
