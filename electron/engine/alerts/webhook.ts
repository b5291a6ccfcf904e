/**
 * The operator's optional webhook: a JSON POST for every alert raised or resolved, every invoice locked, and every
 * low-credit alert, signed with HMAC-SHA256 and retried with exponential back-off. Only public destinations are
 * called, through the gateway's public-address request (every address the name resolves to must be public, and the
 * connection goes to the address that was checked; no redirects).
 *
 * Headers: `X-CaptchaDesk-Event`, `X-CaptchaDesk-Delivery` (the event id: receivers drop repeats),
 * `X-CaptchaDesk-Timestamp` (Unix seconds) and `X-CaptchaDesk-Signature: sha256=<hex>` over `<timestamp>.<body>`.
 * The signing secret lives in the engine database and is shown to the operator only when made. An event is kept
 * in the database (webhook_outbox) until it is delivered or its attempts are spent, so a quit, SIGTERM or kill during
 * the back-off does not lose it: the next start sends it again, with the same delivery id.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto'
import type { Database } from '../db/database'
import { migrate, type Migration } from '../db/migrations'
import { DestinationRefusedError, requestPublicUrl, type OutboundRequest } from '../gateway/public-address'

export type WebhookEventType = 'alert.raised' | 'alert.resolved' | 'invoice.locked' | 'credit.low'

export interface WebhookEvent {
  id: string
  type: WebhookEventType
  at: string
  data: unknown
}

export interface WebhookOptions {
  url: () => string
  now?: () => number
  /** Tests only: also admit a loopback receiver. */
  allowLoopbackForTests?: boolean
  post?: (url: URL, req: OutboundRequest) => Promise<number>
  /** Attempts per event (default 6) and the first back-off (default 2 s, doubling, at most 5 min). */
  attempts?: number
  baseDelayMs?: number
  sleep?: (ms: number) => Promise<void>
  timeoutMs?: number
  onResult?: (r: { event: WebhookEvent; ok: boolean; attempts: number; error?: string }) => void
}

const MIGRATIONS: ReadonlyArray<Migration> = [
  (db) =>
    db.exec(
      'CREATE TABLE webhook_secret (id INTEGER PRIMARY KEY CHECK (id = 1), secret TEXT NOT NULL) STRICT',
    ),
  (db) =>
    db.exec(
      'CREATE TABLE webhook_outbox (id TEXT PRIMARY KEY, event TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT',
    ),
]

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

export function createWebhook(db: Database, options: WebhookOptions) {
  migrate(db, 'webhook', MIGRATIONS)
  const read = db.prepare('SELECT secret FROM webhook_secret WHERE id = 1')
  const write = db.prepare(
    'INSERT INTO webhook_secret (id, secret) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET secret = excluded.secret',
  )
  const secret = (): string => {
    const row = read.get() as { secret: string } | undefined
    if (row) return row.secret
    const s = randomBytes(24).toString('hex')
    write.run(s)
    return s
  }
  const now = options.now ?? Date.now
  const post = options.post ?? requestPublicUrl
  const attempts = options.attempts ?? 6
  const base = options.baseDelayMs ?? 2_000
  const wakers = new Set<() => void>()
  // A back-off wait that close() cuts short, so shutting down never waits minutes for a retry.
  const sleep =
    options.sleep ??
    ((ms: number) =>
      new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(t)
          wakers.delete(wake)
          resolve()
        }
        const t = setTimeout(wake, ms)
        wakers.add(wake)
      }))
  const inFlight = new Set<Promise<void>>()
  let closed = false
  const outbox = {
    add: db.prepare('INSERT OR IGNORE INTO webhook_outbox (id, event, created_at) VALUES (?, ?, ?)'),
    remove: db.prepare('DELETE FROM webhook_outbox WHERE id = ?'),
    pending: db.prepare('SELECT event FROM webhook_outbox ORDER BY created_at, id'),
  }
  const start = (event: WebhookEvent, url: string): void => {
    const p = deliver(event, url).finally(() => inFlight.delete(p))
    inFlight.add(p)
  }

  async function deliver(event: WebhookEvent, url: string): Promise<void> {
    const body = JSON.stringify(event)
    let error = ''
    for (let i = 1; i <= attempts && !closed; i++) {
      try {
        const ts = Math.floor(now() / 1000)
        const status = await post(new URL(url), {
          method: 'POST',
          timeoutMs: options.timeoutMs ?? 10_000,
          allowLoopback: options.allowLoopbackForTests === true,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'CaptchaDesk-Webhook/1',
            'x-captchadesk-event': event.type,
            'x-captchadesk-delivery': event.id,
            'x-captchadesk-timestamp': String(ts),
            'x-captchadesk-signature': signWebhook(secret(), ts, body),
          },
          body,
        })
        if (status >= 200 && status < 300) {
          outbox.remove.run(event.id)
          options.onResult?.({ event, ok: true, attempts: i })
          return
        }
        error = `HTTP ${status}`
      } catch (err) {
        error = (err as Error).message
        if (err instanceof DestinationRefusedError || err instanceof TypeError) break // retrying will not help
      }
      if (i < attempts) await sleep(Math.min(300_000, base * 2 ** (i - 1)))
    }
    if (closed) return // stopped during the back-off: it stays in the outbox for the next start
    outbox.remove.run(event.id)
    options.onResult?.({ event, ok: false, attempts, error })
  }

  return {
    /** Queues an event (no-op without a URL); delivery runs in the background. */
    send(type: WebhookEventType, data: unknown): WebhookEvent | undefined {
      const url = options.url()
      if (!url || closed) return undefined
      const event: WebhookEvent = { id: randomUUID(), type, at: new Date(now()).toISOString(), data }
      outbox.add.run(event.id, JSON.stringify(event), now())
      start(event, url)
      return event
    },
    /** At start: sends again what an earlier run stopped before delivering (no-op without a URL). */
    resendPending(): number {
      const url = options.url()
      if (!url || closed) return 0
      const events = (outbox.pending.all() as Array<{ event: string }>).map(
        (r) => JSON.parse(r.event) as WebhookEvent,
      )
      for (const e of events) start(e, url)
      return events.length
    },
    /** Makes a new signing secret and returns it (the only time it is shown). */
    rotateSecret(): string {
      const s = randomBytes(24).toString('hex')
      write.run(s)
      return s
    },
    /** Last 4 characters of the secret, to recognise it. */
    secretHint: (): string => secret().slice(-4),
    async close(): Promise<void> {
      closed = true
      for (const w of [...wakers]) w()
      await Promise.allSettled([...inFlight])
    },
    /** Tests: waits for deliveries in flight. */
    async idle(): Promise<void> {
      await Promise.allSettled([...inFlight])
    },
  }
}

export type Webhook = ReturnType<typeof createWebhook>
