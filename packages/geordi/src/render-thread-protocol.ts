import type { RenderReportInput, RenderReportResult, RenderStage } from './render/index.js'

/** What crosses to the render thread: the input without its callbacks and signal. */
export type ThreadRenderInput = Omit<RenderReportInput, 'onProgress' | 'signal'>

export type RenderThreadRequest = { type: 'render'; id: number; input: ThreadRenderInput } | { type: 'abort'; id: number }

export type RenderThreadReply =
  | { type: 'progress'; id: number; stage: RenderStage }
  | { type: 'done'; id: number; result: RenderReportResult }
  | { type: 'failed'; id: number; error: { name: string; message: string; code: string | undefined } }
