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
  /** Sends `signal`, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(signal: NodeJS.Signals, graceMs: number): Promise<void>
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
        fork(options.command, options.args, { ...common, execArgv: [], stdio: ['ignore', logFd, logFd, 'ipc'] })
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
    stop(signal, graceMs) {
      stopping ??= (async () => {
        if (reason === undefined && child.pid !== undefined) {
          child.kill(signal)
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
          timer.unref()
          await exited.catch(() => undefined)
          clearTimeout(timer)
        }
        unregister()
        if (options.dir !== undefined) removeDir(options.dir)
      })()
      return stopping
    },
  }
}
