import nodemailer, { type Transporter } from 'nodemailer'
import type { DogslowReport } from '../types.js'

/** Sends reports through an SMTP server; the transport is created on first use. */
export class EmailSink {
  readonly #settings: { to: string[]; from: string; smtpUrl: string }
  #transport: Transporter | undefined

  constructor(settings: { to: string[]; from: string; smtpUrl: string }) {
    this.#settings = settings
  }

  async send(report: DogslowReport, text: string): Promise<void> {
    this.#transport ??= nodemailer.createTransport(this.#settings.smtpUrl)
    const target = report.request.url ?? report.request.name ?? report.request.id
    const subject = `Slow Request Watchdog: ${report.request.method ?? ''} ${target}`.replace(/\s+/g, ' ').slice(0, 200)
    await this.#transport.sendMail({ from: this.#settings.from, to: this.#settings.to, subject, text })
  }

  close(): void {
    this.#transport?.close()
    this.#transport = undefined
  }
}
