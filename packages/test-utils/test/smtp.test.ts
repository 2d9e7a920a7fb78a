import nodemailer from 'nodemailer'
import { afterEach, describe, expect, it } from 'vitest'
import { type SmtpServer, startSmtp } from '../src/index.js'

describe('startSmtp', () => {
  let smtp: SmtpServer | undefined
  afterEach(async () => {
    await smtp?.stop()
    smtp = undefined
  })

  it('receives a message sent over real SMTP and parses it', async () => {
    smtp = await startSmtp()
    const transport = nodemailer.createTransport({ host: smtp.host, port: smtp.port, secure: false, ignoreTLS: true })
    await transport.sendMail({
      from: 'app@example.test',
      to: ['ops@example.test', 'dev@example.test'],
      subject: 'Slow request',
      text: 'GET /slow took 5 s',
      headers: { 'X-Request-ID': 'abc-123' },
    })
    transport.close()
    const message = await smtp.waitForMessage()
    expect(message.from).toBe('app@example.test')
    expect(message.to).toEqual(['ops@example.test', 'dev@example.test'])
    expect(message.subject).toBe('Slow request')
    expect(message.text.trim()).toBe('GET /slow took 5 s')
    expect(message.headers['x-request-id']).toBe('abc-123')
    expect(smtp.messages).toHaveLength(1)
  })

  it('accepts clients that authenticate', async () => {
    smtp = await startSmtp()
    const transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: false,
      ignoreTLS: true,
      auth: { user: 'alerts', pass: 'secret' },
    })
    await transport.sendMail({ from: 'a@example.test', to: 'b@example.test', subject: 'with auth', text: 'x' })
    transport.close()
    const message = await smtp.waitForMessage(5000, (m) => m.subject === 'with auth')
    expect(message.to).toEqual(['b@example.test'])
  })
})
