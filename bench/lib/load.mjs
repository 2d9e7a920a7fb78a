// Load generator child: runs autocannon against one URL and prints a JSON summary.
// It runs in its own process so that the server under test keeps its event loop
// to itself (both still share the machine's cores: compare arms within one run).
import autocannon from 'autocannon'

const [url, connections, durationSec, pipelining] = process.argv.slice(2)
const result = await autocannon({
  url,
  connections: Number(connections),
  duration: Number(durationSec),
  pipelining: Number(pipelining),
})
process.stdout.write(
  JSON.stringify({
    requestsPerSec: result.requests.total / result.duration,
    total: result.requests.total,
    latencyMeanMs: result.latency.average,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  }),
)
