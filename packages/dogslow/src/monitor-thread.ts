/**
 * The watchdog thread. It runs in a `worker_threads` Worker started from the source text of
 * {@link monitorThreadMain} (`eval: true`), so the same code works from `src/` (tests) and
 * from `dist/`: the function must therefore be self-contained — no imports, no references to
 * anything outside its own body.
 */

/** Slots of the shared Float64Array; shared with loop-monitor.ts. */
export const Slot = {
  heartbeat: 0,
  headDeadline: 1,
  headStart: 2,
  headSeq: 3,
  summarySeq: 4,
  summaryLength: 5,
  nativeClaimedSeq: 6,
} as const

/** What the main thread hands the watchdog thread. */
export interface MonitorData {
  instanceId: number
  state: SharedArrayBuffer
  summary: SharedArrayBuffer
  slot: typeof Slot
  pollMs: number
  staleMs: number
  nativeWaitMs: number
  inspector: boolean
  inspectorOffReason: string
  stackVars: boolean
  maxFrames: number
  maxFramesWithLocals: number
  maxLocalsPerFrame: number
  /** Paths of the toolkit's own code: its frames get locals only after the app's. */
  ownDirs: string[]
  logToFile: boolean
  outputDir: string
}

/** Messages from the watchdog thread to the main thread. */
export type MonitorMessage =
  | { type: 'written'; token: number; file?: string; error?: string }
  | { type: 'native'; seq: number; requestId?: string; file?: string; error?: string; text: string; interceptedAt: number; appendDetails: boolean }
  | { type: 'capture'; pauseMs: number; captureMs: number; reports: number }
  | { type: 'inspector-unavailable'; reason: string }

/** Entry point of the watchdog thread (see the file comment: keep it self-contained). */
export function monitorThreadMain(data: MonitorData): void {
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads')
  const fs = require('node:fs') as typeof import('node:fs')
  const path = require('node:path') as typeof import('node:path')
  const os = require('node:os') as typeof import('node:os')
  const S = data.slot
  const shared = new Float64Array(data.state)
  const summary = new Uint8Array(data.summary)
  const send = (message: unknown) => parentPort?.postMessage(message)

  let inspector: typeof import('node:inspector') | undefined
  let inspectorOff: string | undefined = data.inspector ? undefined : data.inspectorOffReason
  if (inspectorOff === undefined) {
    try {
      inspector = require('node:inspector') as typeof import('node:inspector')
    } catch (error) {
      inspectorOff = `node:inspector is not available in this Node build (${(error as Error).message})`
    }
  }
  let closed = false
  let busy = false
  const nativeFiles = new Map<number, string>()
  let timer: NodeJS.Timeout | undefined

  const pad = (n: number, w = 2) => String(n).padStart(w, '0')
  const utc = (ms: number) => {
    const d = new Date(ms)
    return `${pad(d.getUTCDate())}-${pad(d.getUTCMonth() + 1)}-${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`
  }
  const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '')

  const writeFile = (name: string, text: string): { file?: string; error?: string } => {
    if (!data.logToFile) return {}
    try {
      fs.mkdirSync(data.outputDir, { recursive: true, mode: 0o700 })
      const file = path.join(data.outputDir, name)
      // As the file sink does: an exclusive temporary file renamed into place, never an empty report.
      const tmp = path.join(data.outputDir, `.${name}.${process.pid}.${Math.random().toString(36).slice(2)}`)
      try {
        fs.writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' })
        fs.renameSync(tmp, file)
      } catch (error) {
        fs.rmSync(tmp, { force: true })
        throw error
      }
      return { file }
    } catch (error) {
      return { error: `${(error as NodeJS.ErrnoException).code ?? 'Error'}: ${(error as Error).message}` }
    }
  }

  const readSummary = (): { id?: string; method?: string; url?: string } => {
    if (shared[S.summarySeq] !== shared[S.headSeq]) return {}
    const text = Buffer.from(summary.subarray(0, shared[S.summaryLength])).toString('utf8')
    const [id, method, url] = text.split('\n')
    return { id, method, url }
  }

  // Written here because the main thread cannot run: native code holds it, or the inspector is unavailable.
  const nativeReport = (now: number, why: string) => {
    const seq = shared[S.headSeq] ?? 0
    const start = shared[S.headStart] ?? now
    const heartbeat = shared[S.heartbeat] ?? now
    const known = readSummary()
    shared[S.nativeClaimedSeq] = seq
    const id = known.id ?? 'unknown'
    const lines = [
      'Culprit: unknown (native code holds the event loop; the JavaScript stack follows once it returns)',
      `Undead request intercepted at: ${utc(now)}`,
      '',
      known.url === undefined ? '(request details not yet published: it started right before the loop blocked)' : `${known.method} ${known.url}`,
      `Hostname:   ${os.hostname()}`,
      'Thread ID:  0',
      `Process ID: ${process.pid}`,
      `Parent PID: ${process.ppid}`,
      `Started:    ${utc(start)}`,
      `Request ID: ${id}`,
      `Running:    ${((now - start) / 1000).toFixed(3)} s`,
      inspectorOff === undefined
        ? `Event loop: BLOCKED for ${((now - heartbeat) / 1000).toFixed(3)} s in native code that does not return to JavaScript (crypto.pbkdf2Sync, child_process.execSync, a synchronous addon call…)`
        : `Event loop: BLOCKED for ${((now - heartbeat) / 1000).toFixed(3)} s`,
      `Note:       ${why}`,
      '',
      'The JavaScript stack and local variables are not available.',
    ]
    const text = `${lines.join('\n')}\n`
    const safeId = id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64)
    const written = writeFile(`slow_request_${stamp(now)}_${process.pid}_${safeId}.log`, text)
    if (written.file !== undefined) nativeFiles.set(seq, written.file)
    // Without the inspector no pause will follow to complete the file: the main thread will.
    const appendDetails = inspectorOff !== undefined
    send({ type: 'native', seq, requestId: known.id, ...written, text, interceptedAt: now, appendDetails })
  }

  const post = (session: import('node:inspector').Session, method: string, params?: object) =>
    new Promise<Record<string, unknown>>((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as Record<string, unknown>))),
    )

  type CdpFrame = {
    callFrameId: string
    functionName: string
    url?: string
    location: { scriptId: string; lineNumber: number; columnNumber: number }
    scopeChain: Array<{ type: string; object: { objectId?: string } }>
  }

  const readLocals = async (session: import('node:inspector').Session, frame: CdpFrame) => {
    const locals: Array<{ name: string; value: unknown }> = []
    // Innermost first: the function's own blocks, then its local scope, and no further. A block
    // after the local scope belongs to an enclosing module wrapper (a test runner's, a bundler's):
    // module-scope imports and helpers, noise that used up the budget on Node 24.
    for (const scope of frame.scopeChain) {
      if (scope.type !== 'local' && scope.type !== 'block') break
      const last = scope.type === 'local'
      if (scope.object.objectId === undefined) {
        if (last) break
        continue
      }
      const props = await post(session, 'Runtime.getProperties', { objectId: scope.object.objectId, ownProperties: true, generatePreview: true })
      for (const prop of props.result as Array<{ name: string; value?: Record<string, unknown> }>) {
        if (prop.value === undefined || locals.length >= data.maxLocalsPerFrame) continue
        const { type, subtype, className, value, unserializableValue, description, preview } = prop.value
        locals.push({ name: prop.name, value: { type, subtype, className, value: type === 'object' ? undefined : value, unserializableValue, description, preview } })
      }
      if (last) break
    }
    return locals
  }

  // 0: the app's code, 1: a library's, 2: the toolkit's, 3: Node's own (never read: its frames
  // hold raw requests, header arrays and URLs, noise at best and secrets at worst).
  const rank = (url: string) => {
    if (url === '' || url.startsWith('node:') || !/[/\\]/.test(url)) return 3
    let path = url
    try {
      if (url.startsWith('file://')) path = decodeURIComponent(new URL(url).pathname)
    } catch {}
    if (/[/\\]node_modules[/\\]@intro[/\\]/.test(path) || data.ownDirs.some((dir) => path.startsWith(dir))) return 2
    return /[/\\]node_modules[/\\]/.test(path) ? 1 : 0
  }

  const onPaused = async (session: import('node:inspector').Session, params: { callFrames: CdpFrame[] }, scripts: Map<string, string>, heartbeat: number, pausedAt: number) => {
    const frames = params.callFrames.slice(0, data.maxFrames)
    const captured: Array<Record<string, unknown>> = frames.map((frame) => ({
      functionName: frame.functionName,
      url: scripts.get(frame.location.scriptId) || frame.url || '',
      line: frame.location.lineNumber + 1,
      column: frame.location.columnNumber + 1,
    }))
    if (data.stackVars) {
      // The locals budget goes to the app's frames first, innermost first: those are what the
      // report is about; library frames get what is left.
      const order = captured.map((out, i) => ({ i, rank: rank(String(out.url)) })).filter((f) => f.rank < 3)
      order.sort((a, b) => a.rank - b.rank || a.i - b.i)
      for (const { i } of order.slice(0, data.maxFramesWithLocals)) {
        ;(captured[i] as Record<string, unknown>).locals = await readLocals(session, frames[i] as CdpFrame)
      }
    }
    const payload = JSON.stringify({ frames: captured, heartbeat, pausedAtMs: Date.now() - (performance.now() - pausedAt) })
    const expression = `globalThis[Symbol.for('intro.dogslow')]?.probe(${data.instanceId}, ${JSON.stringify(payload)})`
    const top = params.callFrames[0]
    const evaluated = top === undefined ? undefined : await post(session, 'Debugger.evaluateOnCallFrame', { callFrameId: top.callFrameId, expression, returnByValue: true, silent: true })
    return { result: (evaluated?.result as { value?: unknown } | undefined)?.value, pauseStart: pausedAt }
  }

  const capture = async (now: number) => {
    busy = true
    const heartbeat = shared[S.heartbeat] ?? now
    const session = new (inspector as typeof import('node:inspector')).Session()
    const scripts = new Map<string, string>()
    let resolvePaused: (params: { callFrames: CdpFrame[] }) => void = () => {}
    const paused = new Promise<{ callFrames: CdpFrame[] }>((resolve) => {
      resolvePaused = resolve
    })
    let pausedAt = 0
    try {
      session.connectToMainThread()
    } catch (error) {
      inspectorOff = `the inspector refused a session (${(error as Error).message})`
      send({ type: 'inspector-unavailable', reason: inspectorOff })
      nativeReport(now, inspectorOff)
      busy = false
      return
    }
    session.on('Debugger.scriptParsed', (m: { params: { scriptId: string; url: string } }) => scripts.set(m.params.scriptId, m.params.url))
    session.once('Debugger.paused', (m: { params: { callFrames: CdpFrame[] } }) => {
      pausedAt = performance.now()
      resolvePaused(m.params)
    })
    // Sent together: the main thread dispatches both at its next interrupt check, so the pause
    // lands exactly where it is (or, after a native call, where JavaScript resumes).
    let enabled = false
    post(session, 'Debugger.enable').then(
      () => {
        enabled = true
      },
      () => {},
    )
    post(session, 'Debugger.pause').catch(() => {})
    const within = async (ms: number) => {
      let waitTimer: NodeJS.Timeout | undefined
      const timedOut = new Promise<undefined>((resolve) => {
        waitTimer = setTimeout(() => resolve(undefined), ms)
      })
      const result = await Promise.race([paused, timedOut])
      clearTimeout(waitTimer)
      return result
    }
    let params = await within(data.nativeWaitMs)
    // Scripts announced (or the enable answered) mean the main thread is running JavaScript: in a
    // big app on a busy machine, announcing thousands of scripts outlasts the native wait, and the
    // pause follows right after. Only a thread that has said nothing is in native code.
    if (params === undefined && (enabled || scripts.size > 0)) params = await within(data.nativeWaitMs * 6)
    if (params === undefined) {
      nativeReport(Date.now(), 'the thread did not reach a JavaScript interrupt check; the report is written without a stack.')
      // The pause stays requested: it happens as soon as the native call returns, and then the
      // main thread learns that these requests were reported (so it does not report them again).
      params = await paused
    }
    let outcome: { result: unknown; pauseStart: number } | undefined
    try {
      outcome = await onPaused(session, params, scripts, heartbeat, pausedAt)
    } catch {
      outcome = undefined
    } finally {
      await post(session, 'Debugger.resume').catch(() => {})
      const pauseMs = performance.now() - pausedAt
      session.disconnect()
      busy = false
      let reports: Array<{ token: number; fileName: string; text: string; nativeSeq?: number }> = []
      try {
        reports = typeof outcome?.result === 'string' ? JSON.parse(outcome.result).reports : []
      } catch {
        reports = []
      }
      for (const report of reports) {
        if (report.nativeSeq === undefined) {
          send({ type: 'written', token: report.token, ...writeFile(report.fileName, report.text) })
          continue
        }
        const file = nativeFiles.get(report.nativeSeq)
        nativeFiles.delete(report.nativeSeq)
        if (file === undefined) continue
        try {
          // As file-sink.ts's appendToReportFileSync (this thread cannot import it): never through a
          // symlink, only to the regular file of ours written earlier.
          const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_NOFOLLOW)
          try {
            const info = fs.fstatSync(fd)
            const uid = typeof process.getuid === 'function' ? process.getuid() : undefined
            if (info.isFile() && info.nlink === 1 && (uid === undefined || info.uid === uid)) {
              fs.writeSync(fd, `\n${'-'.repeat(72)}\nUpdate: the native call returned.\n\n${report.text}`)
            }
          } finally {
            fs.closeSync(fd)
          }
        } catch {
          // The first part of the report is on disk already; nothing better to do here.
        }
      }
      send({ type: 'capture', pauseMs, captureMs: Date.now() - now, reports: reports.length })
    }
  }

  // The first Debugger.enable in a process costs time in proportion to its heap and scripts (V8
  // prepares them for debugging once; ~1 s for a 50 MB heap on a busy machine). Paid in the first
  // capture, it would outlast the native wait and the blocked code would be taken for native code;
  // paid now, at start-up, the heap is small, and later captures only pay for what loaded since.
  // It holds no lock on captures: if the main thread is already stuck in native code, the warm-up
  // waits for it as long as the block lasts, and the native-code report must not.
  const warmUp = () => {
    try {
      const session = new (inspector as typeof import('node:inspector')).Session()
      session.connectToMainThread()
      post(session, 'Debugger.enable')
        .catch(() => {})
        .finally(() => session.disconnect())
    } catch {
      // A refused session is handled (and reported) by the first capture.
    }
  }

  const tick = () => {
    timer = undefined
    if (closed) return
    const now = Date.now()
    const heartbeat = shared[S.heartbeat] ?? now
    const deadline = shared[S.headDeadline] ?? 0
    const blocked = now - heartbeat > data.staleMs
    const claimed = shared[S.headSeq] === shared[S.nativeClaimedSeq]
    if (!busy && blocked && deadline > 0 && now >= deadline && !claimed) {
      if (inspector === undefined || inspectorOff !== undefined) nativeReport(now, `stack unavailable: ${inspectorOff}`)
      else capture(now).catch(() => {
        busy = false
      })
    }
    let wait = data.pollMs
    if (deadline > now) wait = Math.min(wait, deadline - now)
    timer = setTimeout(tick, Math.max(1, wait))
  }

  parentPort?.on('message', (message: { type: string }) => {
    if (message.type !== 'close') return
    closed = true
    if (timer !== undefined) clearTimeout(timer)
    parentPort?.close()
  })
  if (inspectorOff !== undefined) send({ type: 'inspector-unavailable', reason: inspectorOff })
  else warmUp()
  tick()
}
