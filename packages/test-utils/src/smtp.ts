import type { AddressInfo } from 'node:net'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import type { ReceivedMessage, SmtpServer, StartSmtpOptions } from './types.js'
import { pollUntil } from './wait.js'

/**
 * Starts a real SMTP server (npm `smtp-server`) on a free port of 127.0.0.1
 * that accepts every message, with or without AUTH and without TLS, and keeps
 * each one parsed in `messages`.
 *
 * @example
 * const smtp = await startSmtp()
 * // send mail to smtp.host:smtp.port, then
 * const mail = await smtp.waitForMessage()
 */
export async function startSmtp(options: StartSmtpOptions = {}): Promise<SmtpServer> {
  const messages: ReceivedMessage[] = []
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // close() waits this long for clients still connected before dropping them.
    closeTimeout: 1000,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'anonymous' }),
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks)
        simpleParser(raw).then(
          (parsed) => {
            const headers: Record<string, string> = {}
            for (const { key, line } of parsed.headerLines) headers[key] = line.slice(line.indexOf(':') + 1).trim()
            const mailFrom = session.envelope.mailFrom
            messages.push({
              from: mailFrom === false ? '' : mailFrom.address,
              to: session.envelope.rcptTo.map((recipient) => recipient.address),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : undefined,
              headers,
              attachments: parsed.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
              raw: raw.toString('utf8'),
            })
            callback()
          },
          (error: Error) => callback(error),
        )
      })
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.server.address() as AddressInfo
  let stopped: Promise<void> | undefined
  return {
    host: '127.0.0.1',
    port,
    messages,
    waitForMessage: (timeoutMs = 5000, predicate = () => true) =>
      pollUntil({ what: 'SMTP message', timeoutMs, intervalMs: 20, check: () => messages.find(predicate) }),
    stop() {
      stopped ??= new Promise((resolve) => server.close(() => resolve()))
      return stopped
    },
  }
}
