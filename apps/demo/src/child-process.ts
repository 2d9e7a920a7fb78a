import { type ChildProcess, fork } from 'node:child_process'
import { openSync } from 'node:fs'

/** A forked helper process (database, StatsD daemon, the app itself). */
export interface Child<Ready> {
  readonly process: ChildProcess
  /** The first IPC message the child sent that `isReady` accepted. */
  readonly ready: Ready
  /** Asks the child to stop (SIGTERM), then kills it after `graceMs`. */
  stop(graceMs?: number): Promise<void>
}

export interface ForkOptions<Ready> {
  /** What it is, for error messages. */
  what: string
  modulePath: string
  args?: string[]
  env?: NodeJS.ProcessEnv
  /** Node flags of the child; the parent's own by default. */
  execArgv?: string[]
  /** stdout and stderr of the child go to this file. */
  logPath: string
  timeoutMs: number
  isReady(message: unknown): message is Ready
}

/** Forks a Node module and resolves when it reports ready over IPC; rejects when it exits first or times out. */
export function forkUntilReady<Ready>(options: ForkOptions<Ready>): Promise<Child<Ready>> {
  const log = openSync(options.logPath, 'a')
  const child = fork(options.modulePath, options.args ?? [], {
    env: { ...process.env, ...options.env },
    execArgv: [...(options.execArgv ?? process.execArgv)],
    stdio: ['ignore', log, log, 'ipc'],
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup()
      child.kill('SIGKILL')
      reject(new Error(`${options.what} did not start within ${options.timeoutMs} ms (log: ${options.logPath})`))
    }, options.timeoutMs)
    const onMessage = (message: unknown): void => {
      if (!options.isReady(message)) return
      cleanup()
      resolve({ process: child, ready: message, stop: (graceMs) => stopChild(child, graceMs) })
    }
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup()
      reject(new Error(`${options.what} exited before it was ready (${signal ?? `code ${code}`}; log: ${options.logPath})`))
    }
    const onError = (error: Error): void => {
      cleanup()
      reject(error)
    }
    function cleanup(): void {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
      child.off('error', onError)
    }
    child.on('message', onMessage)
    child.once('exit', onExit)
    child.once('error', onError)
  })
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
export function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}
