import { createServer } from 'node:http'
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { Solver } from '@2captcha/captcha-solver'
import type { GatewayServer } from '../../../electron/engine/gateway'
import { engineFixture } from '../../support/engine-fixture'
import { gatewayFor } from '../../support/gateway-fixture'
import { makePng } from '../../support/images'

type Fx = Awaited<ReturnType<typeof engineFixture>>
let fx: Fx | undefined
let gw: GatewayServer | undefined
afterEach(async () => {
  await gw?.close()
  await fx?.close()
  gw = undefined
  fx = undefined
})

async function setup(opts: Parameters<typeof engineFixture>[0] = {}, gwOpts: { badKeyLimit?: number } = {}) {
  fx = await engineFixture({ speed: 500, ...opts })
  const g = await gatewayFor(fx, {
    guard: { limit: gwOpts.badKeyLimit },
    balance: (t) => {
      const s = fx!.admission.snapshot(t, Date.now())
      return t.limits.monthlyBudgetMicros !== undefined
        ? t.limits.monthlyBudgetMicros - s.month.spentMicros - s.month.reservedMicros
        : 1_000_000_000
    },
  })
  gw = g.server
  return { fx, gw, keys: g.keys }
}

/** The unmodified public client, with only its server address pointed at the gateway. */
function client(key: string, url: string): Solver {
  const s = new Solver(key, 20)
  Object.defineProperty(s, 'in', { get: () => `${url}/in.php` })
  Object.defineProperty(s, 'res', { get: () => `${url}/res.php` })
  return s
}

describe('tenant gateway with an unmodified 2captcha client', () => {
  it('solves every captcha type through the gateway; the ledger meters each under the tenant', async () => {
    const { fx, gw, keys } = await setup()
    const t = fx.addTenant({ name: 'Gateway Co' })
    const { key } = keys.issue(t.id)
    const s = client(key, gw.url)
    const results = [
      await s.recaptcha({
        googlekey: '6Le-wvkSAAAAAPBMRTvw0Q4Muexq9bi0DJwx_mJ-',
        pageurl: 'https://example.com/v2',
      }),
      await s.recaptcha({
        googlekey: 'k',
        pageurl: 'https://example.com/v3',
        version: 'v3',
        action: 'login',
        min_score: 0.3,
      }),
      await s.cloudflareTurnstile({ sitekey: '0x4AAAAAAAC3DHQFLr1GavRN', pageurl: 'https://example.com/ts' }),
      await s.geetest({
        gt: '81388ea1fc187e0c335c0a8907ff2625',
        challenge: '12345678abc90123d45678ef90123a456b',
        pageurl: 'https://example.com/gt',
      }),
      await s.imageCaptcha({ body: makePng().toString('base64') }),
    ]
    for (const r of results) expect(r.data).toEqual(expect.any(String))
    const rows = fx.db
      .prepare('SELECT captcha_type, source, status FROM attempts WHERE tenant_id = ? ORDER BY captcha_type')
      .all(t.id)
    expect(rows.map((r) => (r as { captcha_type: string }).captcha_type)).toEqual([
      'geetest',
      'image',
      'recaptcha_v2',
      'recaptcha_v3',
      'turnstile',
    ])
    expect(
      rows.every(
        (r) =>
          (r as { source: string }).source === 'gateway' && (r as { status: string }).status === 'solved',
      ),
    ).toBe(true)
    // The tenant never sees the upstream key or upstream task ids.
    for (const r of results) expect(fx.sandbox.task(String(r.id))).toBeUndefined()
    expect(await s.balance()).toBe(1000)
    // The gateway timed each in.php it answered (arrival → reply), for the log line at stop.
    const times = gw.inPhpTimes()
    expect(times.n).toBe(5)
    expect(times.p50Ms).toBeGreaterThan(0)
    expect(times.maxMs).toBeGreaterThanOrEqual(times.p99Ms)
  }, 60_000)

  it('limits reach the client as the codes it backs off on', async () => {
    const { fx, gw, keys } = await setup({
      sandbox: { solveTimes: { turnstile: { minMs: 1_000, maxMs: 1_000 } } },
    })
    const rate = fx.addTenant({ limits: { requestsPerMinute: 1 } })
    const daily = fx.addTenant({ limits: { solvesPerDay: 1 } })
    const r = client(keys.issue(rate.id).key, gw.url)
    const d = client(keys.issue(daily.id).key, gw.url)
    const req = { sitekey: 's', pageurl: 'https://example.com' }
    await r.cloudflareTurnstile(req)
    await expect(r.cloudflareTurnstile(req)).rejects.toMatchObject({ err: 'ERROR_NO_SLOT_AVAILABLE' })
    await d.cloudflareTurnstile(req)
    await expect(d.cloudflareTurnstile(req)).rejects.toMatchObject({ err: 'ERROR_ZERO_BALANCE' })
  }, 30_000)
})

describe('gateway protocol', () => {
  const call = async (url: string, path: string, params: Record<string, string>) =>
    (await fetch(`${url}${path}?${new URLSearchParams(params)}`)).text()

  it('isolates tenants, rotates with a grace period, revokes, and bans bad keys from a source without touching valid keys', async () => {
    const { fx, gw, keys } = await setup({}, { badKeyLimit: 3 })
    const a = fx.addTenant()
    const b = fx.addTenant()
    const ka = keys.issue(a.id).key
    const kb = keys.issue(b.id).key
    expect(fx.db.prepare('SELECT COUNT(*) AS n FROM gateway_keys WHERE key_hash = ?').get(ka)).toEqual({
      n: 0,
    })
    const id = (
      await call(gw.url, '/in.php', { key: ka, method: 'turnstile', sitekey: 's', pageurl: 'https://e.com' })
    ).slice(3)
    expect(id).toMatch(/^\d{12}$/)
    expect(await call(gw.url, '/res.php', { key: kb, action: 'get', id })).toBe('ERROR_WRONG_CAPTCHA_ID')
    // rotation: the old key works during the grace period
    const ka2 = keys.issue(a.id, 60_000).key
    expect(await call(gw.url, '/res.php', { key: ka, action: 'getbalance' })).toMatch(/^OK\|/)
    expect(await call(gw.url, '/res.php', { key: ka2, action: 'getbalance' })).toMatch(/^OK\|/)
    keys.revoke(a.id)
    expect(await call(gw.url, '/res.php', { key: ka2, action: 'getbalance' })).toBe(
      'ERROR_KEY_DOES_NOT_EXIST',
    )
    for (let i = 0; i < 3; i++) await call(gw.url, '/res.php', { key: 'x'.repeat(32), action: 'getbalance' })
    // The source is banned for unknown keys, but a valid key from the same address is never refused.
    expect(await call(gw.url, '/res.php', { key: 'y'.repeat(32), action: 'getbalance' })).toBe('IP_BANNED')
    expect(await call(gw.url, '/res.php', { key: kb, action: 'getbalance' })).toMatch(/^OK\|/)
  })

  it('a task row that cannot be stored is never announced: the tenant gets an error, the solve is not billed', async () => {
    const { fx, gw, keys } = await setup()
    const t = fx.addTenant()
    const { key } = keys.issue(t.id)
    // The task row's write fails inside the transaction that records the upstream's task id.
    fx.db.exec(
      `CREATE TRIGGER no_rows BEFORE INSERT ON gateway_tasks BEGIN SELECT RAISE(ABORT, 'disk says no'); END`,
    )
    const reply = await call(gw.url, '/in.php', {
      key,
      method: 'turnstile',
      sitekey: 's',
      pageurl: 'https://e.com',
    })
    expect(reply).toBe('ERROR_NO_SLOT_AVAILABLE')
    await fx.solver.drain()
    const [attempt] = fx.ledger.recent(t.id, 5)
    // The upstream's id was still recorded (its own write in that transaction), and the attempt ended unbilled.
    expect(attempt).toMatchObject({ status: 'cancelled', priceMicros: 0 })
    expect(attempt!.upstreamTaskId).not.toBeNull()
    expect(fx.db.prepare('SELECT COUNT(*) AS n FROM gateway_tasks').get()).toEqual({ n: 0 })
    // The store works again once the fault is gone.
    fx.db.exec('DROP TRIGGER no_rows')
    expect(
      await call(gw.url, '/in.php', { key, method: 'turnstile', sitekey: 's', pageurl: 'https://e.com' }),
    ).toMatch(/^OK\|\d{12}$/)
  })

  it('replies in one piece with a Content-Length, as the upstream does (never chunked)', async () => {
    const { fx, gw, keys } = await setup()
    const key = keys.issue(fx.addTenant().id).key
    const raw = (path: string, method = 'GET'): Promise<string> =>
      new Promise((resolve, reject) => {
        const { port } = new URL(gw.url)
        const socket = connect(Number(port), '127.0.0.1', () =>
          socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
        )
        let text = ''
        socket.on('data', (d: Buffer) => (text += d.toString('latin1')))
        socket.on('end', () => resolve(text))
        socket.on('error', reject)
      })
    const q = (p: Record<string, string>) => new URLSearchParams(p).toString()
    const replies = [
      await raw(`/in.php?${q({ key, method: 'turnstile', sitekey: 's', pageurl: 'https://e.com' })}`),
      await raw(
        `/in.php?${q({ key, method: 'turnstile', sitekey: 's', pageurl: 'https://e.com', json: '1' })}`,
      ),
      await raw(`/res.php?${q({ key, action: 'get', id: '1' })}`),
      await raw(`/res.php?${q({ key: 'z'.repeat(32), action: 'getbalance', json: '1' })}`),
      await raw('/nowhere'),
      await raw('/in.php', 'PUT'),
    ]
    for (const reply of replies) {
      const [head, body] = reply.split('\r\n\r\n') as [string, string]
      expect(head).not.toMatch(/transfer-encoding/i)
      expect(Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1])).toBe(Buffer.byteLength(body))
    }
    expect(replies[0]).toMatch(/\r\n\r\nOK\|\d{12}$/)
    expect(replies[1]).toMatch(/\r\n\r\n\{"status":1,"request":"\d{12}"\}$/)
    expect(replies[4]).toMatch(/^HTTP\/1.1 404 /)
    expect(replies[5]).toMatch(/^HTTP\/1.1 405 /)
  })

  it('forwards the tenant’s pingback when its task completes', async () => {
    const hits: string[] = []
    const receiver = createServer((req, res) => {
      hits.push(req.url ?? '')
      res.end('ok')
    })
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()))
    const { fx, gw, keys } = await setup()
    const t = fx.addTenant()
    const key = keys.issue(t.id).key
    const pingback = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/cb`
    const id = (
      await call(gw.url, '/in.php', {
        key,
        method: 'turnstile',
        sitekey: 's',
        pageurl: 'https://e.com',
        pingback,
      })
    ).slice(3)
    for (let i = 0; i < 200 && hits.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
    receiver.close()
    expect(hits).toHaveLength(1)
    const q = new URL(hits[0]!, 'http://x').searchParams
    expect(q.get('id')).toBe(id)
    expect(q.get('code')).toBe((await call(gw.url, '/res.php', { key, action: 'get', id })).slice(3))
  })

  it('fuzz: any input to either endpoint gets a protocol answer, never a crash or a state change', async () => {
    const { fx, gw, keys } = await setup()
    const t = fx.addTenant()
    const key = keys.issue(t.id).key
    const before = fx.db.prepare('SELECT COUNT(*) AS n FROM attempts').get()
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/in.php', '/res.php'),
        fc.dictionary(
          fc.constantFrom(
            'key',
            'method',
            'action',
            'id',
            'ids',
            'json',
            'body',
            'googlekey',
            'pageurl',
            'sitekey',
            'version',
            'gt',
            'challenge',
            'min_score',
            '__proto__',
            'constructor',
          ),
          fc.oneof(
            fc.string(),
            fc.constant(key),
            fc.constant('userrecaptcha'),
            fc.constant('get'),
            fc.integer().map(String),
            fc.constant('1'),
          ),
        ),
        fc.boolean(),
        async (path, params, post) => {
          const p = { ...params }
          if (p.method === 'userrecaptcha' || p.method === 'turnstile') delete p.pageurl // never reach a real solve
          const res = post
            ? await fetch(`${gw.url}${path}`, { method: 'POST', body: new URLSearchParams(p) })
            : await fetch(`${gw.url}${path}?${new URLSearchParams(p)}`)
          expect(res.status).toBe(200)
          const text = await res.text()
          if (p.json === '1') expect(JSON.parse(text)).toHaveProperty('status')
          else expect(text).toMatch(/^(OK\||OK_|ERROR_|CAPCHA_NOT_READY|IP_BANNED)/)
        },
      ),
      { numRuns: 300 },
    )
    const raw = await fetch(`${gw.url}/in.php`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"key":',
    })
    // Plain text unless the query asks for json=1 (the body could not be read).
    expect(await raw.text()).toBe('ERROR_BAD_PARAMETERS')
    const big = await fetch(`${gw.url}/in.php`, { method: 'POST', body: 'x'.repeat(1_200_000) })
    expect(big.status).toBe(413)
    expect(fx.db.prepare('SELECT COUNT(*) AS n FROM attempts').get()).toEqual(before)
  }, 60_000)
})
