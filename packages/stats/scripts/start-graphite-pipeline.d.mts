export interface GraphitePipelineOptions {
  dir?: string
  statsdPort?: number
  carbonPort?: number
  flushMs?: number
  startTimeoutMs?: number
  removeOnStop?: boolean
}
export interface GraphitePipeline {
  dir: string
  whisperDir: string
  statsdHost: string
  statsdPort: number
  carbonPort: number
  flushMs: number
  stop(): Promise<void>
}
export function startGraphitePipeline(options?: GraphitePipelineOptions): Promise<GraphitePipeline>
