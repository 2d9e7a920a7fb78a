// The render thread's entry: renders the reports the job side asks for, one message each, and
// answers with progress, the result, or the failure. Nothing here outlives a message but the
// loaded renderer, which is the point: it stays out of the profiled thread's heap.
import { parentPort } from 'node:worker_threads'
import type { RenderThreadReply, RenderThreadRequest } from './render-thread-protocol.js'

const port = parentPort
if (port === null) throw new Error('render-thread-main runs as a worker thread')
const renderer = import('./render/index.js')
const aborts = new Map<number, AbortController>()

function reply(message: RenderThreadReply): void {
  port!.postMessage(message)
}

port.on('message', async (message: RenderThreadRequest) => {
  if (message.type === 'abort') {
    aborts.get(message.id)?.abort(new Error('the render was abandoned'))
    return
  }
  const { id, input } = message
  const abort = new AbortController()
  aborts.set(id, abort)
  try {
    const { renderProfileReport } = await renderer
    const result = await renderProfileReport({ ...input, signal: abort.signal, onProgress: (stage) => reply({ type: 'progress', id, stage }) })
    reply({ type: 'done', id, result })
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error))
    reply({ type: 'failed', id, error: { name: failure.name, message: failure.message, code: (failure as { code?: unknown }).code as string | undefined } })
  } finally {
    aborts.delete(id)
  }
})
