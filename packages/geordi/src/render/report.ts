import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { buildCallGraph } from './call-graph.js'
import { layoutCallGraph } from './layout.js'
import { renderPdf } from './pdf.js'
import { renderFlameGraph } from './flame-svg.js'
import { toPprof } from './pprof.js'
import { fitSvgText } from './svg-text-fit.js'
import { copyToPrivateFile, writePrivateFile } from './private-file.js'
import { toSpeedscope } from './speedscope.js'
import { describeTarget } from './pdf-summary.js'
import { redactReportUrl, reportSecretMatcher } from './redact.js'
import { topFunctions } from './top-functions.js'
import type { RenderReportInput, RenderReportResult, RenderStage } from './types.js'

const pad = (value: number) => String(value).padStart(2, '0')

function defaultBaseName(date: Date): string {
  const day = `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}`
  const time = `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`
  return `profile-${day}-${time}`
}

function checkBaseName(baseName: string): string {
  if (baseName === '' || /[/\\]/.test(baseName) || baseName === '.' || baseName === '..') {
    throw new TypeError(`Expected \`baseName\` to be a file name without directory, got \`${baseName}\``)
  }
  return baseName
}

async function writeProfile(input: RenderReportInput, profilePath: string): Promise<void> {
  if (input.profileFile === undefined) return writePrivateFile(profilePath, JSON.stringify(input.profile))
  if (resolve(input.profileFile) !== resolve(profilePath)) await copyToPrivateFile(input.profileFile, profilePath)
}

/**
 * Renders a CPU profile into six files in `outDir`: `<baseName>.pdf` (summary and call graph),
 * `<baseName>.svg` (the call graph), `<baseName>.flame.svg` (an icicle flame graph),
 * `<baseName>.cpuprofile` (the raw profile, for Chrome DevTools), `<baseName>.speedscope.json`
 * (speedscope's format) and `<baseName>.pb.gz` (pprof). Each is created with mode 0600 and
 * replaces whatever was at its name (a symlink there is replaced, never followed).
 *
 * @throws InvalidProfileError when `profile` is not a `.cpuprofile`.
 * @throws RenderError when Graphviz or pdfkit fails.
 * @example
 * ```ts
 * const { pdfPath } = await renderProfileReport({
 *   profile, outDir: '/var/reports', baseName: jobId,
 *   meta: { request: { method: 'GET', url: 'https://shop.example/cart' }, timings: { wallMs: 812 } },
 * })
 * ```
 */
export async function renderProfileReport(input: RenderReportInput): Promise<RenderReportResult> {
  const baseName = checkBaseName(input.baseName ?? defaultBaseName(input.meta.createdAt ?? new Date()))
  const timingsMs = { graph: 0, layout: 0, pdf: 0, write: 0 }
  const stage = async <T>(name: RenderStage, work: () => T | Promise<T>): Promise<T> => {
    input.signal?.throwIfAborted()
    input.onProgress?.(name)
    const start = performance.now()
    const result = await work()
    timingsMs[name] = performance.now() - start
    return result
  }
  const graph = await stage('graph', () => buildCallGraph(input.profile, input.callGraph))
  const title = redactReportUrl(describeTarget(input.meta), reportSecretMatcher(input.redact))
  const { svg } = await stage('layout', () => layoutCallGraph(graph, { title }))
  const pdf = await stage('pdf', () => renderPdf({ graph, svg, meta: input.meta, redact: input.redact }))
  const paths = {
    pdfPath: join(input.outDir, `${baseName}.pdf`),
    svgPath: join(input.outDir, `${baseName}.svg`),
    profilePath: join(input.outDir, `${baseName}.cpuprofile`),
    flamePath: join(input.outDir, `${baseName}.flame.svg`),
    speedscopePath: join(input.outDir, `${baseName}.speedscope.json`),
    pprofPath: join(input.outDir, `${baseName}.pb.gz`),
  }
  await stage('write', async () => {
    // The other formats are views of the same samples; a few ms even for large profiles.
    const flame = renderFlameGraph(input.profile, { title })
    const speedscope = JSON.stringify(toSpeedscope(input.profile, { name: title }))
    const pprof = toPprof(input.profile, { createdAt: input.meta.createdAt ?? new Date(), ...(input.samplingIntervalUs ? { samplingIntervalUs: input.samplingIntervalUs } : {}) })
    await mkdir(input.outDir, { recursive: true, mode: 0o700 })
    await Promise.all([
      writePrivateFile(paths.pdfPath, pdf),
      writePrivateFile(paths.svgPath, fitSvgText(svg)),
      writeProfile(input, paths.profilePath),
      writePrivateFile(paths.flamePath, flame),
      writePrivateFile(paths.speedscopePath, speedscope),
      writePrivateFile(paths.pprofPath, pprof),
    ])
  })
  return {
    ...paths,
    graph,
    topSelf: topFunctions(graph, 'self', 15),
    topTotal: topFunctions(graph, 'total', 15),
    timingsMs,
  }
}
