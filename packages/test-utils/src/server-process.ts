import { type ChildProcess, type SpawnOptions, fork, spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { once } from 'node:events'
import { onProcessExit, removeDir } from './cleanup.js'

/** A server child process whose stdout and stderr go to a log file. */
export interface ServerProcess {
  readonly child: ChildProcess
  readonly logPath: string
  /** Why the process is gone (`exited with code 1`), or `undefined` while it runs. */
  exitReason(): string | undefined
  /** The last lines of the log, for error messages. */
  logTail(lines?: number): string
  /**
   * Sends each signal in turn, moving to the next after its `graceMs`, and SIGKILL
   * after the last; resolves once the process is gone. Later calls share the first.
   */
  stop(...steps: StopStep[]): Promise<void>
}

export interface StopStep {
  signal: NodeJS.Signals
  graceMs: number
}

export interface StartProcessOptions {
  command: string
  args: readonly string[]
  logPath: string
  /** Run as this user (the parent must be root). */
  uid?: number
  gid?: number
  env?: NodeJS.ProcessEnv
  /** Start `command` as a Node.js module with an IPC channel instead of a binary. */
  nodeModule?: boolean
  /** Node flags of a `nodeModule` server (e.g. `--require` of a preload); none by default. */
  execArgv?: readonly string[]
  /** Signal sent when the test process exits without stopping the server. */
  exitSignal?: NodeJS.Signals
  /** A directory the server owns, removed once it has stopped (or at test-process exit). */
  dir?: string
}

/**
 * Starts a server process that does not keep the test process alive, and that
 * is killed if the test process exits first.
 */
export function startProcess(options: StartProcessOptions): ServerProcess {
  const logFd = openSync(options.logPath, 'a')
  const common: SpawnOptions = {
    env: options.env ?? process.env,
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  }
  let child: ChildProcess
  try {
    child = options.nodeModule
      ? // execArgv: [] so a test runner's loader flags do not leak into the server.
        fork(options.command, options.args, { ...common, execArgv: [...(options.execArgv ?? [])], stdio: ['ignore', logFd, logFd, 'ipc'] })
      : spawn(options.command, options.args, { ...common, stdio: ['ignore', logFd, logFd] })
  } finally {
    closeSync(logFd)
  }
  let reason: string | undefined
  const exited = once(child, 'exit').then(([code, signal]) => {
    reason = signal ? `killed by ${signal}` : `exited with code ${code}`
  })
  child.once('error', (error) => {
    reason ??= `failed to start: ${error.message}`
  })
  child.unref()
  child.channel?.unref()
  const unregister = onProcessExit(() => {
    child.kill(options.exitSignal ?? 'SIGKILL')
    if (options.dir !== undefined) removeDir(options.dir)
  })

  let stopping: Promise<void> | undefined
  return {
    child,
    logPath: options.logPath,
    exitReason: () => reason,
    logTail(lines = 20) {
      try {
        return readFileSync(options.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
      } catch {
        return ''
      }
    },
    stop(...steps) {
      stopping ??= (async () => {
        if (reason === undefined && child.pid !== undefined) {
          const gone = exited.then(
            () => true,
            () => true,
          )
          for (const { signal, graceMs } of steps) {
            child.kill(signal)
            let timer: NodeJS.Timeout | undefined
            const late = new Promise<false>((resolve) => {
              timer = setTimeout(() => resolve(false), graceMs)
            })
            const done = await Promise.race([gone, late])
            clearTimeout(timer)
            if (done) break
          }
          if (reason === undefined) child.kill('SIGKILL')
          await gone
        }
        unregister()
        if (options.dir !== undefined) removeDir(options.dir)
      })()
      return stopping
    },
  }
}
