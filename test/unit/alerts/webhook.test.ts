/** The alert webhook: signed JSON POSTs, retried with back-off, and never sent to a non-public address. */
import { createServer, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { createWebhook, signWebhook } from '../../../electron/engine/alerts/webhook'
import { openDatabase } from '../../../electron/engine/db/database'

let server: Server | undefined
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())))

async function receiver(statuses: number[]) {
  const got: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = []
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      got.push({ headers: req.headers, body })
      res.statusCode = statuses.shift() ?? 200
      res.end()
    })
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  return { url: `http://127.0.0.1:${port}/hook`, got }
}

describe('alert webhook', () => {
  it('signs the JSON body with HMAC-SHA256 and retries with doubling back-off until accepted', async () => {
    const { url, got } = await receiver([500, 503, 204])
    const delays: number[] = []
    const results: boolean[] = []
    const hook = createWebhook(openDatabase(':memory:'), {
      url: () => url,
      now: () => 1_800_000_000_000,
      allowLoopbackForTests: true, // the receiver is on loopback in this test
      sleep: async (ms) => void delays.push(ms),
      onResult: (r) => results.push(r.ok),
    })
    const secret = hook.rotateSecret()
    const event = hook.send('alert.raised', { kind: 'low_credit', subject: 'tenant:t_1' })!
    await hook.idle()
    expect(got).toHaveLength(3)
    expect(delays).toEqual([2_000, 4_000])
    expect(results).toEqual([true])
    const last = got[2]!
    expect(JSON.parse(last.body)).toEqual({
      id: event.id,
      type: 'alert.raised',
      at: '2027-01-15T08:00:00.000Z',
      data: { kind: 'low_credit', subject: 'tenant:t_1' },
    })
    expect(last.headers['content-type']).toBe('application/json')
    expect(last.headers['x-captchadesk-delivery']).toBe(event.id)
    expect(last.headers['x-captchadesk-signature']).toBe(
      signWebhook(secret, Number(last.headers['x-captchadesk-timestamp']), last.body),
    )
    expect(hook.secretHint()).toBe(secret.slice(-4))
    expect(last.body).not.toContain(secret)
  })

  it('never calls a loopback or private address, and sends nothing without a URL', async () => {
    const { url, got } = await receiver([])
    const results: Array<{ ok: boolean; error?: string }> = []
    let target = url
    const hook = createWebhook(openDatabase(':memory:'), {
      url: () => target,
      sleep: async () => undefined,
      onResult: (r) => results.push(r),
    })
    hook.send('invoice.locked', { number: 'CD-2026-000001' })
    await hook.idle()
    expect(got).toEqual([])
    expect(results[0]).toMatchObject({ ok: false, error: expect.stringMatching(/not a public address/) })
    target = ''
    expect(hook.send('alert.resolved', {})).toBeUndefined()
  })
})

describe('alert webhook across a restart', () => {
  it('keeps an event it is still retrying when stopped, and the next start sends it again with the same id', async () => {
    const db = openDatabase(':memory:')
    const refused = await receiver([503, 503, 503])
    let wake: () => void = () => undefined
    const first = createWebhook(db, {
      url: () => refused.url,
      allowLoopbackForTests: true,
      sleep: () => new Promise<void>((r) => (wake = r)), // in the back-off when the process stops
    })
    const event = first.send('invoice.locked', { number: 'INV-1' })!
    while (refused.got.length === 0) await new Promise((r) => setTimeout(r, 5))
    const closing = first.close()
    wake()
    await closing
    await new Promise<void>((r) => server!.close(() => r()))

    const { url, got } = await receiver([204])
    const next = createWebhook(db, { url: () => url, allowLoopbackForTests: true })
    expect(next.resendPending()).toBe(1)
    await next.idle()
    expect(got.map((g) => g.headers['x-captchadesk-delivery'])).toEqual([event.id])
    expect(JSON.parse(got[0]!.body)).toEqual(event)
    expect(next.resendPending()).toBe(0) // delivered: gone from the outbox
    await next.close()
  })
})
