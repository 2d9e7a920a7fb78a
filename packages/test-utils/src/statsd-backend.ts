/**
 * Source of the statsd backend module written next to the daemon's config.
 * It is CommonJS because statsd `require()`s its backends, and it is kept as
 * text so that it ships inside dist/ without a copy step.
 * It reports over the IPC channel of `fork()`: `ready` on the first packet
 * (the parent probes with empty datagrams until the UDP socket answers), then
 * one `flush` message per flush with plain-JSON metrics.
 */
export const statsdBackendSource = `'use strict'
function send(message) {
  if (process.connected) process.send(message)
}
exports.init = function init(startupTime, config, events) {
  let announced = false
  events.on('packet', function onPacket() {
    if (!announced) {
      announced = true
      send({ type: 'ready' })
    }
  })
  events.on('flush', function onFlush(timestamp, metrics) {
    const sets = {}
    for (const key of Object.keys(metrics.sets || {})) sets[key] = Array.from(metrics.sets[key].values())
    send({
      type: 'flush',
      snapshot: {
        timestamp: timestamp,
        counters: metrics.counters,
        gauges: metrics.gauges,
        timers: metrics.timers,
        timerData: metrics.timer_data,
        counterRates: metrics.counter_rates,
        sets: sets,
      },
    })
  })
  return true
}
`
