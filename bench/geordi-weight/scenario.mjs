// geordi-weight: what installing geordi's middleware costs a web process that never profiles.
// (1) RSS of an idle Express app on 127.0.0.1 without geordi, with `createGeordi` + the
// middleware, and with the renderer (pdfkit, fontkit, Graphviz WASM) loaded as well — what the
// web process carried before rendering was loaded lazily. Each arm is a fresh process; arms
// alternate round by round. (2) The installed size of @intro/geordi with its dependencies:
// `npm pack` of geordi and core, installed into a scratch project, measured with `du`.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { machineInfo, median, writeResult } from '../lib/index.mjs'

const ROUNDS = 5
const here = fileURLToPath(new URL('.', import.meta.url))
const packages = join(here, '..', '..', 'packages')
const MiB = 2 ** 20
const round1 = (value) => Math.round(value * 10) / 10

function measureProcess(arm) {
  const out = execFileSync(process.execPath, ['--expose-gc', join(here, 'web-process.mjs'), arm], { cwd: here, encoding: 'utf8' })
  return JSON.parse(out.trim().split('\n').at(-1))
}

function rssResult() {
  const arms = [
    { name: 'Express app without geordi', arm: 'bare' },
    { name: 'createGeordi + middleware (renderer not loaded)', arm: 'geordi' },
    { name: 'createGeordi + middleware + @intro/geordi/render imported (the renderer\'s share)', arm: 'geordi+render' },
  ]
  const samples = arms.map(() => [])
  const renderer = arms.map(() => false)
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < arms.length; k++) {
      const index = (k + round) % arms.length
      const measured = measureProcess(arms[index].arm)
      samples[index].push(measured.rss / MiB)
      renderer[index] ||= measured.renderer
    }
  }
  const baseline = median(samples[0])
  return {
    name: 'geordi-weight-rss',
    kind: 'latency',
    title: 'geordi: idle web process RSS',
    description:
      'Resident set size of a fresh Node process running an idle Express 5 app on 127.0.0.1 (after a GC), ' +
      "without geordi, with `import { createGeordi } from '@intro/geordi'` and its middleware installed, and with " +
      "`@intro/geordi/render` (pdfkit, fontkit, svg-to-pdfkit, Graphviz as WASM) imported too. Before the renderer and " +
      'bullmq were loaded lazily (only where a job renders, and with the first geordi request), the middleware arm measured ' +
      '96 MiB against 57 MiB without geordi (same machine, Node 20.20, main branch of 2026-12-03).',
    date: new Date().toISOString(),
    machine: machineInfo(),
    params: { rounds: ROUNDS, iterations: 1 },
    unit: 'MiB',
    arms: arms.map((arm, index) => {
      const value = median(samples[index])
      return {
        name: arm.name,
        rendererLoaded: renderer[index],
        median: round1(value),
        ratio: round1(value / baseline),
        overheadNs: round1(value - baseline),
        samples: samples[index].map(round1),
      }
    }),
  }
}

function duMiB(path) {
  return Number(execFileSync('du', ['-sk', path], { encoding: 'utf8' }).split('\t')[0]) / 1024
}

function installResult() {
  const scratch = mkdtempSync(join(tmpdir(), 'bench-geordi-weight-'))
  try {
    const tarballs = ['core', 'geordi'].map((name) => {
      // pnpm pack, not npm pack: it turns the `workspace:` ranges into the versions users install.
      const out = execFileSync('pnpm', ['pack', '--pack-destination', scratch], { cwd: join(packages, name), encoding: 'utf8' })
      const file = out.trim().split('\n').at(-1)
      return isAbsolute(file) ? file : join(scratch, file)
    })
    const project = join(scratch, 'project')
    execFileSync('mkdir', ['-p', project])
    writeFileSync(join(project, 'package.json'), '{"name":"scratch","private":true,"type":"module"}\n')
    execFileSync('npm', ['install', '--silent', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], { cwd: project, stdio: 'inherit' })
    const modules = join(project, 'node_modules')
    const sizeOf = (name) => round1(duMiB(join(modules, name)))
    const all = round1(duMiB(modules))
    const renderer = ['pdfkit', 'fontkit', 'svg-to-pdfkit', '@hpcc-js'].reduce((sum, name) => sum + (readdirSync(modules).includes(name) ? duMiB(join(modules, name)) : 0), 0)
    const arms = [
      { name: 'node_modules in all (@intro/geordi + @intro/core + dependencies)', value: all },
      { name: 'of which the renderer: pdfkit, fontkit, svg-to-pdfkit, @hpcc-js/wasm-graphviz', value: round1(renderer) },
      { name: 'of which pprof-format', value: readdirSync(modules).includes('pprof-format') ? sizeOf('pprof-format') : 0 },
      { name: 'of which bullmq + ioredis', value: round1(duMiB(join(modules, 'bullmq')) + duMiB(join(modules, 'ioredis'))) },
    ]
    return {
      name: 'geordi-weight-install',
      kind: 'latency',
      title: 'geordi: installed size',
      description:
        '`npm pack` of @intro/geordi and @intro/core, installed with npm into an empty project; `du -sk` of its node_modules and ' +
        'of the renderer\'s packages. The dependency list is the same for the web process and the worker: the renderer is ' +
        'installed everywhere but loaded only where a job is rendered. Before the flame graph and pprof export, the same install measured 49.7 MiB (same machine, Node 20.20, main branch of 2026-12-03): pprof-format is the difference.',
      date: new Date().toISOString(),
      machine: machineInfo(),
      params: { rounds: 1, iterations: 1 },
      unit: 'MiB',
      arms: arms.map((arm) => ({ name: arm.name, median: arm.value, ratio: 1, samples: [arm.value] })),
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

const rss = rssResult()
writeResult(rss)
for (const arm of rss.arms) console.log(`${arm.name.padEnd(70)} ${String(arm.median).padStart(7)} MiB`)
const install = installResult()
writeResult(install)
for (const arm of install.arms) console.log(`${arm.name.padEnd(70)} ${String(arm.median).padStart(7)} MiB`)
