/**
 * Reads the SQL text out of a PostgreSQL frontend message, as the server receives it: a simple
 * `Query` ('Q') carries the text after the length; an extended-protocol `Parse` ('P') carries a
 * statement name and then the text. Every other message carries no SQL.
 */
export function sqlOfMessage(message: Uint8Array): string | undefined {
  const type = message[0]
  if (type !== 0x51 && type !== 0x50) return undefined
  const body = Buffer.from(message.buffer, message.byteOffset + 5, Math.max(0, message.byteLength - 5))
  let start = 0
  if (type === 0x50) {
    const nameEnd = body.indexOf(0)
    if (nameEnd < 0) return undefined
    start = nameEnd + 1
  }
  const end = body.indexOf(0, start)
  return body.toString('utf8', start, end < 0 ? body.length : end)
}
