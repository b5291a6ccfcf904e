import { createServer } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { SANDBOX_DEMO_KEY, startSandbox, type Sandbox } from '../../../electron/engine/sandbox'
import { makePng } from '../../support/images'

const KEY = SANDBOX_DEMO_KEY
let sb: Sandbox | undefined
afterEach(async () => {
  await sb?.close()
  sb = undefined
})

async function call(
  path: string,
  params: Record<string, string>,
  method: 'GET' | 'POST' = 'GET',
): Promise<string> {
  const q = new URLSearchParams(params)
  const res =
    method === 'GET'
      ? await fetch(`${sb!.url}${path}?${q}`)
      : await fetch(`${sb!.url}${path}`, { method: 'POST', body: q })
  return res.text()
}
const json = async (path: string, params: Record<string, string>, method: 'GET' | 'POST' = 'GET') =>
  JSON.parse(await call(path, { ...params, json: '1' }, method)) as { status: number; request: unknown }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('Sandbox in.php', () => {
  it('accepts every method, with reCAPTCHA ids as JSON numbers and others as strings', async () => {
    sb = await startSandbox({ speed: 10_000 })
    const png = makePng().toString('base64')
    const v2 = await json(
      '/in.php',
      { key: KEY, method: 'userrecaptcha', googlekey: 'k', pageurl: 'https://a.example' },
      'POST',
    )
    const v3 = await json('/in.php', {
      key: KEY,
      method: 'userrecaptcha',
      version: 'v3',
      action: 'login',
      min_score: '0.3',
      googlekey: 'k',
      pageurl: 'https://a.example',
    })
    const ts = await json('/in.php', {
      key: KEY,
      method: 'turnstile',
      sitekey: 's',
      pageurl: 'https://a.example',
    })
    const gt = await json('/in.php', {
      key: KEY,
      method: 'geetest',
      gt: 'g',
      challenge: 'c',
      pageurl: 'https://a.example',
    })
    const img = await json('/in.php', { key: KEY, method: 'base64', body: png }, 'POST')
    expect(v2).toEqual({ status: 1, request: expect.any(Number) })
    expect(v3).toEqual({ status: 1, request: expect.any(Number) })
    for (const r of [ts, gt, img]) expect(r).toEqual({ status: 1, request: expect.stringMatching(/^\d+$/) })
    expect(
      sb
        .tasks()
        .map((t) => t.type)
        .sort(),
    ).toEqual(['geetest', 'image', 'recaptcha_v2', 'recaptcha_v3', 'turnstile'])
  })

  it('accepts multipart image uploads (method=post, field file) and plain replies', async () => {
    sb = await startSandbox({ speed: 10_000 })
    const form = new FormData()
    form.set('key', KEY)
    form.set('method', 'post')
    form.set('file', new Blob([makePng()], { type: 'image/png' }), 'c.png')
    const text = await (await fetch(`${sb.url}/in.php`, { method: 'POST', body: form })).text()
    expect(text).toMatch(/^OK\|\d+$/)
    expect(sb.tasks({ type: 'image' })).toHaveLength(1)
  })

  it('answers bad input with the protocol codes and creates no task', async () => {
    sb = await startSandbox({ speed: 10_000 })
    const cases: Array<[Record<string, string>, string]> = [
      [{ key: KEY, method: 'userrecaptcha', pageurl: 'https://a.example' }, 'ERROR_GOOGLEKEY'],
      [{ key: KEY, method: 'userrecaptcha', googlekey: 'k' }, 'ERROR_PAGEURL'],
      [{ key: KEY, method: 'turnstile', pageurl: 'https://a.example' }, 'ERROR_GOOGLEKEY'],
      [{ key: KEY, method: 'geetest', gt: 'g', pageurl: 'https://a.example' }, 'ERROR_BAD_PARAMETERS'],
      [{ key: KEY, method: 'base64', body: '' }, 'ERROR_ZERO_CAPTCHA_FILESIZE'],
      [
        { key: KEY, method: 'base64', body: Buffer.alloc(50).toString('base64') },
        'ERROR_ZERO_CAPTCHA_FILESIZE',
      ],
      [
        { key: KEY, method: 'base64', body: Buffer.alloc(200_000, 1).toString('base64') },
        'ERROR_TOO_BIG_CAPTCHA_FILESIZE',
      ],
      [
        { key: KEY, method: 'base64', body: Buffer.alloc(500, 7).toString('base64') },
        'ERROR_IMAGE_TYPE_NOT_SUPPORTED',
      ],
      [{ key: KEY, method: 'nonsense' }, 'ERROR_BAD_PARAMETERS'],
      [{ key: KEY, method: 'hcaptcha' }, 'ERROR_SERVER_ERROR'],
      [{ key: 'short', method: 'turnstile' }, 'ERROR_WRONG_USER_KEY'],
      [{ key: 'x'.repeat(32), method: 'turnstile' }, 'ERROR_KEY_DOES_NOT_EXIST'],
    ]
    for (const [params, code] of cases) {
      expect(await json('/in.php', params, 'POST'), code).toMatchObject({ status: 0, request: code })
      expect(await call('/in.php', params, 'POST')).toBe(code)
    }
    expect(sb.tasks()).toHaveLength(0)
  })

  it('enforces the thread limit, frees threads when tasks are ready, and charges per solve only when configured', async () => {
    const key = 'k'.repeat(32)
    sb = await startSandbox({
      speed: 100,
      keys: [{ key, threads: 2, balanceMicros: 2_500, chargePerSolveMicros: 1_000 }],
    })
    const p = { key, method: 'userrecaptcha', version: 'v3', googlekey: 'k', pageurl: 'https://a.example' }
    expect((await json('/in.php', p)).status).toBe(1)
    expect((await json('/in.php', p)).status).toBe(1)
    expect(await json('/in.php', p)).toMatchObject({ status: 0, request: 'ERROR_NO_SLOT_AVAILABLE' })
    expect(sb.threadsInUse(key)).toBe(2)
    await sleep(120)
    expect(sb.threadsInUse(key)).toBe(0)
    expect(sb.balance(key)).toBe(500)
    expect(await json('/res.php', { key, action: 'getbalance' })).toEqual({ status: 1, request: '0.0005' })
    expect(await json('/in.php', p)).toMatchObject({ status: 0, request: 'ERROR_ZERO_BALANCE' })
  })

  it('a lapsed plan answers ERROR_KEY_DOES_NOT_EXIST', async () => {
    sb = await startSandbox({ speed: 10_000 })
    sb.setKeyState(KEY, { state: 'no_threads' })
    expect(
      await call('/in.php', { key: KEY, method: 'turnstile', sitekey: 's', pageurl: 'https://a.example' }),
    ).toBe('ERROR_KEY_DOES_NOT_EXIST')
  })

  it('bans an address after repeated bad keys', async () => {
    let t = 1_000_000
    sb = await startSandbox({ speed: 10_000, badKeyBanThreshold: 3, banMs: 1_000, now: () => t })
    for (let i = 0; i < 3; i++) await call('/in.php', { key: 'bad' })
    expect(
      await call('/in.php', { key: KEY, method: 'turnstile', sitekey: 's', pageurl: 'https://a.example' }),
    ).toBe('IP_BANNED')
    t += 1_001
    expect(
      await call('/in.php', { key: KEY, method: 'turnstile', sitekey: 's', pageurl: 'https://a.example' }),
    ).toMatch(/^OK\|/)
  })
})

describe('Sandbox res.php', () => {
  it('reports not ready, then the answer; batches keep order; other keys cannot read a task', async () => {
    const other = 'o'.repeat(32)
    sb = await startSandbox({
      speed: 1_000,
      keys: [{ key: KEY }, { key: other }],
      solveTimes: { turnstile: { minMs: 300_000, maxMs: 300_000 } },
    })
    const a = String(
      (await json('/in.php', { key: KEY, method: 'turnstile', sitekey: 's', pageurl: 'https://a.example' }))
        .request,
    )
    expect(await json('/res.php', { key: KEY, action: 'get', id: a })).toEqual({
      status: 0,
      request: 'CAPCHA_NOT_READY',
    })
    expect(await call('/res.php', { key: other, action: 'get', id: a })).toBe('ERROR_WRONG_CAPTCHA_ID')
    expect(await call('/res.php', { key: KEY, action: 'get', id: 'abc' })).toBe('ERROR_WRONG_ID_FORMAT')
    expect(await call('/res.php', { key: KEY })).toBe('ERROR_EMPTY_ACTION')
    await sleep(450)
    const answer = await call('/res.php', { key: KEY, action: 'get', id: a })
    expect(answer).toMatch(/^OK\|0\./)
    const batch = await json('/res.php', { key: KEY, action: 'get', ids: `${a},999,${a}` })
    expect(batch.status).toBe(1)
    const parts = String(batch.request).split('|')
    expect(parts).toEqual([answer.slice(3), 'ERROR_WRONG_CAPTCHA_ID', answer.slice(3)])
    expect(sb.task(a)).toMatchObject({ status: 'solved', deliveredCount: 3 })
    expect(sb.stats()).toMatchObject({ resGetIds: 1 })
  })

  it('records reports once', async () => {
    sb = await startSandbox({ speed: 100_000 })
    const id = String(
      (await json('/in.php', { key: KEY, method: 'turnstile', sitekey: 's', pageurl: 'https://a.example' }))
        .request,
    )
    await sleep(20)
    expect(await call('/res.php', { key: KEY, action: 'reportbad', id })).toBe('OK_REPORT_RECORDED')
    expect(await call('/res.php', { key: KEY, action: 'reportgood', id })).toBe('ERROR_DUPLICATE_REPORT')
    expect(sb.task(id)?.reports).toEqual(['bad'])
  })

  it('geetest answers carry the three fields as JSON', async () => {
    sb = await startSandbox({ speed: 100_000 })
    const id = String(
      (
        await json('/in.php', {
          key: KEY,
          method: 'geetest',
          gt: 'g',
          challenge: 'c',
          pageurl: 'https://a.example',
        })
      ).request,
    )
    await sleep(20)
    const r = await json('/res.php', { key: KEY, action: 'get', id })
    expect(Object.keys(JSON.parse(String(r.request)) as object).sort()).toEqual([
      'geetest_challenge',
      'geetest_seccode',
      'geetest_validate',
    ])
  })
})

describe('Sandbox faults, pingback and records', () => {
  it('unsolvable tasks answer ERROR_CAPTCHA_UNSOLVABLE and are recorded as such', async () => {
    sb = await startSandbox({ speed: 100_000, faults: { unsolvableRate: 1 } })
    const id = (
      await call('/in.php', { key: KEY, method: 'turnstile', sitekey: 's', pageurl: 'https://a.example' })
    ).slice(3)
    await sleep(20)
    expect(await call('/res.php', { key: KEY, action: 'get', id })).toBe('ERROR_CAPTCHA_UNSOLVABLE')
    expect(sb.task(id)?.status).toBe('unsolvable')
  })

  it('injected 5xx, malformed, server-error and dropped replies create no task', async () => {
    const p = { key: KEY, method: 'turnstile', sitekey: 's', pageurl: 'https://a.example' }
    sb = await startSandbox({ speed: 10_000, faults: { http5xxRate: 1 } })
    const r = await fetch(`${sb.url}/in.php?${new URLSearchParams(p)}`)
    expect([500, 502]).toContain(r.status)
    expect(await r.text()).toMatch(/<html>/)
    sb.setFaults({ malformedRate: 1 })
    expect(() => JSON.parse('x' + '')).toThrow()
    const bad = await call('/in.php', { ...p, json: '1' })
    expect(() => JSON.parse(bad)).toThrow()
    sb.setFaults({ serverErrorRate: 1 })
    expect(await call('/in.php', p)).toBe('ERROR_SERVER_ERROR')
    sb.setFaults({ dropRate: 1 })
    await expect(fetch(`${sb.url}/in.php?${new URLSearchParams(p)}`)).rejects.toThrow()
    expect(sb.tasks()).toHaveLength(0)
    expect(sb.stats().faultsInjected).toMatchObject({ http5xx: 1, malformed: 1, serverError: 1, drop: 1 })
  })

  it('slow replies are delayed by slowReplyMs', async () => {
    sb = await startSandbox({ speed: 10_000, faults: { slowReplyRate: 1, slowReplyMs: 150 } })
    const t0 = Date.now()
    await call('/res.php', { key: KEY, action: 'getbalance' })
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140)
  })

  it('is deterministic for a seed', async () => {
    const run = async () => {
      sb = await startSandbox({ speed: 1, seed: 42 })
      await call('/in.php', { key: KEY, method: 'turnstile', sitekey: 's', pageurl: 'https://a.example' })
      const t = sb.tasks()[0]!
      await sb.close()
      sb = undefined
      return t.readyAt - t.submittedAt
    }
    const a = await run()
    const b = await run()
    expect(Math.abs(a - b)).toBeLessThanOrEqual(2)
    expect(a).toBeGreaterThanOrEqual(9_990)
    expect(a).toBeLessThanOrEqual(15_010)
  })

  it('calls the pingback URL when a task is ready', async () => {
    const hits: string[] = []
    const receiver = createServer((req, res) => {
      hits.push(req.url ?? '')
      res.end('ok')
    })
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()))
    const port = (receiver.address() as { port: number }).port
    sb = await startSandbox({ speed: 100_000 })
    const id = (
      await call('/in.php', {
        key: KEY,
        method: 'turnstile',
        sitekey: 's',
        pageurl: 'https://a.example',
        pingback: `http://127.0.0.1:${port}/cb`,
      })
    ).slice(3)
    for (let i = 0; i < 50 && hits.length === 0; i++) await sleep(10)
    receiver.close()
    expect(hits).toHaveLength(1)
    const q = new URL(hits[0]!, 'http://x').searchParams
    expect(q.get('id')).toBe(id)
    expect(q.get('code')).toBe(sb.task(id)?.answer)
  })

  it('refuses bodies over 1 MB with 413', async () => {
    sb = await startSandbox({ speed: 10_000 })
    const r = await fetch(`${sb.url}/in.php`, {
      method: 'POST',
      body: new URLSearchParams({ key: KEY, body: 'a'.repeat(1_100_000) }),
    })
    expect(r.status).toBe(413)
  })
})
