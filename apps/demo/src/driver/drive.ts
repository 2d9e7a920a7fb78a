import { ADMIN_COOKIE, SCENARIOS, type Scenario } from '../scenarios.js'
import { type GeordiFlowResult, followGeordi } from './geordi-flow.js'
import { type RequestResult, get } from './http.js'
import type { Progress } from './progress.js'

export interface ScenarioResult {
  key: string
  label: string
  path: string
  requests: RequestResult[]
  /** Why the scenario failed; undefined when every response had an expected status. */
  problem: string | undefined
  /** The `?__geordi__` scenario: what came of the profiling job. */
  geordi?: GeordiFlowResult
}

/** Longest any single scenario request may take (the slow ones take ~3 s). */
const REQUEST_TIMEOUT_MS = 30_000
const PARALLEL = 4

async function runScenario(baseUrl: string, scenario: Scenario): Promise<ScenarioResult> {
  const url = `${baseUrl}${scenario.path}`
  const options = { cookie: scenario.admin ? ADMIN_COOKIE : undefined, timeoutMs: REQUEST_TIMEOUT_MS }
  const requests: RequestResult[] = []
  const times = scenario.times ?? 1
  for (let sent = 0; sent < times; sent += PARALLEL) {
    const batch = Array.from({ length: Math.min(PARALLEL, times - sent) }, () => get(url, options))
    requests.push(...(await Promise.all(batch)))
  }
  const bad = requests.find((r) => !scenario.expectStatus.includes(r.status))
  const problem =
    bad === undefined
      ? undefined
      : `${scenario.path}: expected HTTP ${scenario.expectStatus.join(' or ')}, got ${bad.error ?? `${bad.status} ${bad.body.slice(0, 200)}`}`
  return { key: scenario.key, label: scenario.label, path: scenario.path, requests, problem }
}

/** Sends every scenario in order over real HTTP, one progress step each. */
export async function driveScenarios(baseUrl: string, progress: Progress): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = []
  for (const scenario of SCENARIOS) {
    progress.step(scenario.label)
    const result = await runScenario(baseUrl, scenario)
    const first = result.requests[0]
    if (scenario.key === 'geordi' && result.problem === undefined && first !== undefined) {
      result.geordi = await followGeordi(baseUrl, first.headers.location, first.headers['x-geordi-job'])
      result.problem = result.geordi.problem
    }
    results.push(result)
  }
  return results
}
