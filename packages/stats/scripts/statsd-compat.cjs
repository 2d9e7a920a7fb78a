'use strict'
// Preloaded into Etsy's statsd daemon (`node --require @intro/stats/statsd-compat statsd/stats.js`):
// statsd 0.9 logs through util.log, which Node 23 removed, and crashes at start without it.
// Same output format as Node's own util.log.
const util = require('node:util')

if (typeof util.log !== 'function') {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
  const pad = (n) => String(n).padStart(2, '0')
  util.log = (...args) => {
    const d = new Date()
    const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
    process.stdout.write(`${d.getDate()} ${months[d.getMonth()]} ${time} - ${util.format(...args)}\n`)
  }
}
