import { removeDir } from './cleanup.js'
import { TestUtilsError, TestUtilsErrorCode } from './errors.js'
import type { ServerProcess } from './server-process.js'
import { pollUntil } from './wait.js'

const attempts = 3

/**
 * Starts a server on a fresh port and waits until `ready` says it serves.
 * A port found free can be taken by a parallel test file before the server
 * binds it: when the log says so, it starts again on another port.
 * On failure the process is killed, its directory removed, and the error carries the log tail.
 */
export async function startServer<T>(options: {
  what: string
  timeoutMs: number
  dir: () => string
  launch: (dir: string) => Promise<{ server: ServerProcess; port: number }>
  ready: (port: number, server: ServerProcess) => Promise<boolean>
  handle: (server: ServerProcess, port: number, dir: string) => T
}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const dir = options.dir()
    let launched: { server: ServerProcess; port: number } | undefined
    try {
      launched = await options.launch(dir)
      const { server, port } = launched
      await pollUntil({
        what: `${options.what} on port ${port}`,
        timeoutMs: options.timeoutMs,
        check: () => options.ready(port, server),
        abort: () => server.exitReason(),
      })
      return options.handle(server, port, dir)
    } catch (error) {
      const log = launched?.server.logTail() ?? ''
      await launched?.server.stop()
      removeDir(dir)
      if (attempt < attempts && /address already in use|EADDRINUSE/i.test(log)) continue
      if (error instanceof TestUtilsError && error.code === TestUtilsErrorCode.missingBinary) throw error
      throw new TestUtilsError(`${options.what} did not start: ${errorText(error)}\n--- log ---\n${log}`, {
        code: TestUtilsErrorCode.startFailed,
        cause: error,
      })
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
