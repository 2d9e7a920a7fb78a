import { Graphviz } from '@hpcc-js/wasm-graphviz'
import { RenderError, RenderErrorCodes } from './errors.js'

// Graphviz compiled to WebAssembly: no system `dot` binary to install on the worker host.
// Loading it takes ~100 ms, so one instance is shared by every layout in the process.
let loading: Promise<Graphviz> | undefined

function graphviz(): Promise<Graphviz> {
  loading ??= Graphviz.load().catch((error: unknown) => {
    loading = undefined
    throw new RenderError('cannot load the Graphviz WebAssembly module', RenderErrorCodes.layout, error)
  })
  return loading
}

/**
 * Lays out a DOT graph with Graphviz's `dot` engine (WebAssembly) and returns the SVG.
 *
 * @throws RenderError (`ERR_INTRO_GEORDI_LAYOUT`) when the DOT source is invalid.
 * @example
 * ```ts
 * const svg = await renderSvg('digraph { a -> b }')
 * ```
 */
export async function renderSvg(dot: string): Promise<string> {
  const instance = await graphviz()
  let svg: string
  try {
    svg = instance.dot(dot, 'svg')
  } catch (error) {
    throw new RenderError('Graphviz could not lay out the call graph', RenderErrorCodes.layout, error)
  }
  if (!svg.includes('<svg')) {
    throw new RenderError('Graphviz produced no SVG for the call graph', RenderErrorCodes.layout)
  }
  return svg
}
