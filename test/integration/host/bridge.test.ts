/** The HTTP bridge over real HTTP on 127.0.0.1: request hardening, exports, and the solve/cancel/alerts/keys channels. */
import { rmSync } from 'node:fs'
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningHost } from '../../../electron/engine/host/run-host'
import { makePng } from '../../support/images'
import { events as events_, type EventName } from '@shared/ipc-contract'
import { rawHttp, startTestHost } from './test-host'

const IMAGE = { type: 'image', body: makePng().toString('base64') }

let running: RunningHost
let dir: string

beforeAll(async () => {
  ;({ running, dir } = await startTestHost('bridge-'))
})
afterAll(async () => {
  await running.close()
  rmSync(dir, { recursive: true, force: true })
})

const raw = (path: string, headers: Record<string, string>, method = 'GET', body?: string | Buffer) =>
  rawHttp(running.host.port, path, headers, method, body)
const host = () => `127.0.0.1:${running.host.port}`
const good = () => ({
  host: host(),
  origin: running.host.origin,
  'x-captchadesk-token': running.host.token,
  'content-type': 'application/json',
})
async function call<T = unknown>(
  channel: string,
  input: unknown,
): Promise<{ ok: boolean; value: T; error: { code: string; message: string } }> {
  const r = await raw(`/api/invoke/${channel}`, good(), 'POST', JSON.stringify({ input }))
  expect(r.status).toBe(200)
  return JSON.parse(r.text)
}

/** Collects SSE events until `until` says stop (or the stream ends). */
async function collectEvents(
  until: (events: Array<{ event: string; data: unknown }>) => boolean,
  trigger: () => Promise<unknown>,
) {
  const ctl = new AbortController()
  const res = await fetch(`${running.host.origin}/api/events?token=${running.host.token}`, {
    signal: ctl.signal,
  })
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  const events: Array<{ event: string; data: unknown }> = []
  let buffer = ''
  const done = trigger()
  while (!until(events)) {
    const { value, done: end } = await reader.read()
    if (end) break
    buffer += decoder.decode(value)
    let cut: number
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut)
      buffer = buffer.slice(cut + 2)
      const ev = /^event: (.+)$/m.exec(block)?.[1]
      const data = /^data: (.+)$/m.exec(block)?.[1]
      if (ev && data) events.push({ event: ev, data: JSON.parse(data) })
    }
  }
  ctl.abort()
  return { events, reply: await done }
}

describe('bridge request hardening', () => {
  it('takes the token from the header only on API calls (a token in the URL is for events and downloads)', async () => {
    const { 'x-captchadesk-token': _t, ...noHeader } = good()
    const r = await raw(
      `/api/invoke/app.status?token=${running.host.token}`,
      noHeader,
      'POST',
      '{"input":{}}',
    )
    expect(r.status).toBe(401)
    expect(JSON.parse(r.text).error.message).toMatch(/token/)
  })

  it('refuses non-JSON bodies, other methods and missing origins', async () => {
    expect(
      (await raw('/api/invoke/app.status', { ...good(), 'content-type': 'text/plain' }, 'POST', '{}')).status,
    ).toBe(415)
    expect((await raw('/api/invoke/app.status', good(), 'GET')).status).toBe(404)
    expect((await raw(`/api/events?token=${running.host.token}`, good(), 'POST', '{}')).status).toBe(405)
    const { origin: _o, ...noOrigin } = good()
    expect((await raw('/api/invoke/app.status', noOrigin, 'POST', '{"input":{}}')).status).toBe(403)
    expect((await raw('/', { host: host() }, 'POST', '')).status).toBe(405)
  })

  it('answers an oversized body with 413 (declared or streamed) and stays up', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 'a')
    expect((await raw('/api/invoke/app.status', good(), 'POST', big)).status).toBe(413)
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: running.host.port,
          path: '/api/invoke/app.status',
          method: 'POST',
          headers: { ...good(), 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      for (let i = 0; i < 6; i++) req.write(Buffer.alloc(512 * 1024, 'b'))
      req.end()
    }).catch(() => 413) // the server may drop the socket right after answering
    expect(chunked).toBe(413)
    expect((await call('app.status', {})).ok).toBe(true)
  })

  it('answers malformed inputs with VALIDATION on the new channels', async () => {
    for (const [c, input] of [
      ['solve.cancel', { attemptId: '../../etc' }],
      ['alerts.ack', { id: -1 }],
      ['alerts.ack', { id: '1' }],
      ['gateway.rotateKey', { tenantId: 'x', graceHours: 10_000 }],
      ['tenants.get', { id: 'a/b' }],
      ['vault.status', { extra: 1 }],
    ] as const) {
      const r = await call(c, input)
      expect(r, c).toMatchObject({ ok: false, error: { code: 'VALIDATION' } })
    }
  })
})

describe('channels over the bridge', () => {
  let tenantId: string
  beforeAll(async () => {
    expect((await call('vault.create', { passphrase: 'bridge test passphrase' })).ok).toBe(true)
    const t = await call<{ id: string }>('tenants.create', { name: 'Bridge Co', keyMode: 'shared' })
    tenantId = t.value.id
  })

  it('vault.status and tenants.get', async () => {
    expect(await call('vault.status', {})).toMatchObject({
      ok: true,
      value: { exists: true, unlocked: true },
    })
    expect(await call('tenants.get', { id: tenantId })).toMatchObject({
      ok: true,
      value: { name: 'Bridge Co' },
    })
    expect(await call('tenants.get', { id: 'nobody' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    })
  })

  it('solve.test answers with the result; progress arrives over SSE first', async () => {
    const { events, reply } = await collectEvents(
      (ev) => ev.some((e) => (e.data as { stage?: string }).stage === 'ended'),
      () => call('solve.test', { tenantId, request: IMAGE }),
    )
    const r = reply as { ok: boolean; value: { status: string; attemptId: string } }
    expect(r).toMatchObject({ ok: true, value: { status: 'solved' } })
    const stages = events
      .filter((e) => e.event === 'solve.progress')
      .map((e) => e.data as { stage: string; attemptId: string })
    expect(stages.map((s) => s.stage)).toEqual(['admitted', 'submitted', 'ended'])
    for (const e of events)
      expect(events_[e.event as EventName].safeParse(e.data).success, e.event).toBe(true)
    expect(new Set(stages.map((s) => s.attemptId))).toEqual(new Set([r.value.attemptId]))
  })

  it('solve.cancel stops a running test solve; cancelling it again (or an unknown id) is a no-op', async () => {
    running.engine.sandbox!.setSpeed(0.05) // slow the upstream down so the solve is still running
    try {
      let attemptId = ''
      const { reply } = await collectEvents(
        (ev) => ev.some((e) => (e.data as { stage?: string }).stage === 'ended'),
        async () => {
          const solving = call('solve.test', { tenantId, request: IMAGE })
          // Cancel once the attempt id is known from the events.
          for (let i = 0; i < 200 && !attemptId; i++) {
            await new Promise((r) => setTimeout(r, 10))
            const rows = running.engine.db
              .prepare("SELECT attempt_id FROM attempts WHERE status IN ('pending','submitted')")
              .all() as Array<{ attempt_id: string }>
            attemptId = rows[0]?.attempt_id ?? ''
          }
          expect(attemptId).not.toBe('')
          expect(await call('solve.cancel', { attemptId })).toEqual({ ok: true, value: { cancelled: true } })
          return solving
        },
      )
      expect(reply).toMatchObject({ ok: true, value: { status: 'cancelled', attemptId } })
      expect(await call('solve.cancel', { attemptId })).toEqual({ ok: true, value: { cancelled: false } })
      expect(await call('solve.cancel', { attemptId: crypto.randomUUID() })).toEqual({
        ok: true,
        value: { cancelled: false },
      })
    } finally {
      running.engine.sandbox!.setSpeed(1000)
    }
  })

  it('gateway.rotateKey issues a new key and keeps the old one valid for the grace period', async () => {
    const first = await call<{ key: string }>('gateway.issueKey', { tenantId })
    const rotated = await call<{ key: string; info: { last4: string } }>('gateway.rotateKey', {
      tenantId,
      graceHours: 2,
    })
    expect(rotated.ok).toBe(true)
    expect(rotated.value.key).not.toBe(first.value.key)
    const status = await call<{ keys: Array<{ last4: string; expiresAt: number | null }> }>(
      'gateway.status',
      {},
    )
    const mine = status.value.keys
    expect(mine.find((k) => k.last4 === first.value.key.slice(-4))?.expiresAt).toBeGreaterThan(
      Date.now() + 3_000_000,
    )
    expect(mine.find((k) => k.last4 === rotated.value.info.last4)?.expiresAt).toBeNull()
    expect(JSON.stringify(status)).not.toContain(rotated.value.key)
  })

  it('gateway.issueKey without graceHours keeps the previous key working for 24 hours, as the README promises', async () => {
    const first = await call<{ key: string }>('gateway.issueKey', { tenantId })
    const second = await call<{ key: string; info: { last4: string } }>('gateway.issueKey', { tenantId })
    expect(second.ok).toBe(true)
    const status = await call<{ keys: Array<{ last4: string; expiresAt: number | null }> }>(
      'gateway.status',
      {},
    )
    const old = status.value.keys.find((k) => k.last4 === first.value.key.slice(-4))
    expect(old?.expiresAt).toBeGreaterThan(Date.now() + 23 * 3_600_000)
    expect(old?.expiresAt).toBeLessThanOrEqual(Date.now() + 24 * 3_600_000)
  })

  it('alerts.ack marks a raised alert as seen; unknown ids are NOT_FOUND', async () => {
    expect(await call('alerts.ack', { id: 999_999 })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    })
    const raised: unknown[] = []
    const off = running.engine.on('alert.raised', (a) => raised.push(a))
    running.engine.alerts.evaluateBalance('test:acct', 'Test account', 10, 1_000_000)
    off()
    expect(raised).toHaveLength(1)
    expect(events_['alert.raised'].safeParse(raised[0]).success).toBe(true)
    const list = await call<Array<{ id: number; acknowledgedAt: number | null }>>('alerts.list', {
      activeOnly: true,
    })
    const alert = list.value[0]!
    expect(alert.acknowledgedAt).toBeNull()
    const acked = await call<{ id: number; acknowledgedAt: number }>('alerts.ack', { id: alert.id })
    expect(acked).toMatchObject({ ok: true, value: { id: alert.id, kind: 'low_balance' } })
    expect(acked.value.acknowledgedAt).toBeGreaterThan(0)
    const again = await call<{ acknowledgedAt: number }>('alerts.ack', { id: alert.id })
    expect(again.value.acknowledgedAt).toBe(acked.value.acknowledgedAt)
    const after = await call<Array<{ id: number; acknowledgedAt: number | null }>>('alerts.list', {})
    expect(after.value.find((a) => a.id === alert.id)?.acknowledgedAt).toBe(acked.value.acknowledgedAt)
  })

  it('billing.export writes into the data folder and offers download links; names outside it are refused', async () => {
    const month = new Date().toISOString().slice(0, 7)
    const r = await call<{ files: Array<{ name: string; url: string | null; path: string | null }> }>(
      'billing.export',
      { month, tenantId },
    )
    expect(r.ok).toBe(true)
    expect(r.value.files.length).toBeGreaterThanOrEqual(2)
    for (const f of r.value.files) {
      expect(f.path).toBeNull()
      const dl = await raw(`${f.url!}?token=${running.host.token}`, { host: host() })
      expect(dl.status).toBe(200)
      expect(dl.headers['content-type']).toBe('text/csv; charset=utf-8')
      expect(dl.headers['content-disposition']).toContain(f.name)
    }
    const noToken = await raw(r.value.files[0]!.url!, { host: host() })
    expect(noToken.status).toBe(401)
    for (const p of [
      '/exports/..%2Fengine.db',
      '/exports/%2e%2e%2fsettings.json',
      '/exports/..%5Cvault.json',
      '/exports/.hidden.csv',
      '/exports/a%00.csv',
    ]) {
      const bad = await raw(`${p}?token=${running.host.token}`, { host: host() })
      expect(bad.status, p).toBe(400)
      expect(bad.text).not.toMatch(/SQLite|"wrapped"|"kdf"/)
    }
    // A path the URL parser folds ('/exports/../x' is '/x') lands on the console page, never on the file.
    const folded = await raw(`/exports/../vault.json?token=${running.host.token}`, { host: host() })
    expect(folded.text).toContain('<title>console</title>')
  })
})
