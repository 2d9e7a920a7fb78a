import { gzipSync } from 'node:zlib'
import { Function as PprofFunction, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format'
import { frameKey, frameName } from './location.js'
import { stackOf, weightedSamples } from './sample-weights.js'
import type { CpuProfile } from './types.js'

/** Options of {@link toPprof}. */
export interface PprofOptions {
  /** When the profile was taken (V8's clock is not the wall clock). @defaultValue now */
  createdAt?: Date
  /** V8's sampling interval, written as the profile's period. @defaultValue the median gap between samples */
  samplingIntervalUs?: number
}

/**
 * Converts a `.cpuprofile` into pprof's `profile.proto`, gzipped — what `go tool pprof`,
 * Pyroscope, Grafana and Datadog read. Two sample values: `samples/count` and `cpu/nanoseconds`
 * (the time each sample stood for). Samples with the same stack are merged; a location is a
 * function's line, as V8 reports the line a function starts on.
 *
 * @example
 * ```ts
 * await writeFile('profile.pb.gz', toPprof(profile, { createdAt: new Date() }))
 * ```
 */
export function toPprof(profile: CpuProfile, options: PprofOptions = {}): Buffer {
  const weighted = weightedSamples(profile)
  const strings = new StringTable()
  const functions: PprofFunction[] = []
  const locations: Location[] = []
  const locationOf = new Map<string, number>()
  const locationIdOfNode = (id: number): number => {
    const frame = weighted.nodes.get(id)!.callFrame
    const key = frameKey(frame)
    let locationId = locationOf.get(key)
    if (locationId === undefined) {
      locationId = locations.length + 1
      locationOf.set(key, locationId)
      const line = frame.lineNumber >= 0 ? frame.lineNumber + 1 : 0
      functions.push(
        new PprofFunction({ id: locationId, name: strings.dedup(frameName(frame)), systemName: strings.dedup(frameName(frame)), filename: strings.dedup(frame.url), startLine: line }),
      )
      locations.push(new Location({ id: locationId, line: [new Line({ functionId: locationId, line })] }))
    }
    return locationId
  }
  const perNode = new Map<number, { count: number; us: number }>()
  weighted.nodeIds.forEach((id, i) => {
    const entry = perNode.get(id) ?? { count: 0, us: 0 }
    entry.count++
    entry.us += weighted.weightsUs[i]!
    perNode.set(id, entry)
  })
  const stacks = new Map<number, number[]>()
  const samples: Sample[] = []
  for (const [id, { count, us }] of perNode) {
    // pprof lists a stack from the leaf up.
    const locationId = stackOf(weighted, id, stacks).map(locationIdOfNode).reverse()
    if (locationId.length > 0) samples.push(new Sample({ locationId, value: [count, Math.round(us * 1000)] }))
  }
  const gaps = profile.timeDeltas?.slice(1).filter((delta) => delta > 0).sort((a, b) => a - b) ?? []
  const intervalUs = options.samplingIntervalUs ?? gaps[Math.floor(gaps.length / 2)] ?? 1000
  const encoded = new Profile({
    sampleType: [new ValueType({ type: strings.dedup('samples'), unit: strings.dedup('count') }), new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') })],
    sample: samples,
    location: locations,
    function: functions,
    stringTable: strings,
    timeNanos: BigInt((options.createdAt ?? new Date()).getTime()) * 1_000_000n,
    durationNanos: Math.round((profile.endTime - profile.startTime) * 1000),
    periodType: new ValueType({ type: strings.dedup('cpu'), unit: strings.dedup('nanoseconds') }),
    period: Math.round(intervalUs * 1000),
  }).encode()
  return gzipSync(encoded)
}
