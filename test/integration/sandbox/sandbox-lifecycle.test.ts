import { spawn } from 'node:child_process'
import { Agent, createServer, request } from 'node:http'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import {
  keyFingerprint,
  SANDBOX_DEMO_KEY,
  startSandbox,
  type Sandbox,
} from '../../../electron/engine/sandbox'
import { makePng } from '../../support/images'

const KEY = SANDBOX_DEMO_KEY
const TS = { key: KEY, method: 'turnstile', sitekey: 's', pageurl: 'https://a.example' }
let sb: Sandbox | undefined
afterEach(async () => {
  await sb?.close()
  sb = undefined
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
async function call(path: string, params: Record<string, string>): Promise<string> {
  return (await fetch(`${sb!.url}${path}`, { method: 'POST', body: new URLSearchParams(params) })).text()
}
async function json(
  path: string,
  params: Record<string, string>,
): Promise<{ status: number; request: unknown }> {
  return JSON.parse(await call(path, { ...params, json: '1' })) as { status: number; request: unknown }
}
async function until(check: () => boolean, ms = 2_000): Promise<void> {
  for (let waited = 0; !check() && waited < ms; waited += 5) await sleep(5)
}

describe('Sandbox timing', () => {
  it('divides solve times by the speed factor, also after setSpeed', async () => {
    // Long enough that the first task is still planned (not yet ready) when it is read on a busy machine.
    sb = await startSandbox({ speed: 1_000, solveTimes: { image: { minMs: 2_000_000, maxMs: 2_000_000 } } })
    const first = (
      await call('/in.php', { key: KEY, method: 'base64', body: makePng().toString('base64') })
    ).slice(3)
    sb.setSpeed(10_000)
    const second = (
      await call('/in.php', { key: KEY, method: 'base64', body: makePng().toString('base64') })
    ).slice(3)
    const planned = (id: string) => sb!.task(id)!.readyAt - sb!.task(id)!.submittedAt
    expect(planned(first)).toBe(2_000)
    expect(planned(second)).toBe(200)
    expect(() => sb!.setSpeed(0)).toThrow(/speed/)
  })

  it('draws reCAPTCHA v2 times from 15–40 s (scaled) and repeats them for a seed', async () => {
    const delays = async (seed: number) => {
      sb = await startSandbox({ speed: 1_000, seed })
      const out: number[] = []
      for (let i = 0; i < 20; i++) {
        const id = (
          await call('/in.php', {
            key: KEY,
            method: 'userrecaptcha',
            googlekey: 'k',
            pageurl: 'https://a.example',
          })
        ).slice(3)
        const t = sb.task(id)!
        out.push(t.readyAt - t.submittedAt)
      }
      await sb.close()
      sb = undefined
      return out
    }
    const a = await delays(9)
    for (const d of a) {
      expect(d).toBeGreaterThanOrEqual(15)
      expect(d).toBeLessThanOrEqual(40)
    }
    expect(new Set(a).size).toBeGreaterThan(5)
    expect(await delays(9)).toEqual(a)
  })
})

describe('Sandbox protocol details', () => {
  it('plain replies carry OK|<id>; ids increase and are unique across keys', async () => {
    const other = 'o'.repeat(32)
    sb = await startSandbox({ speed: 1_000, keys: [{ key: KEY }, { key: other }] })
    const ids: number[] = []
    for (let i = 0; i < 6; i++) {
      const text = await call('/in.php', { ...TS, key: i % 2 ? other : KEY })
      expect(text).toMatch(/^OK\|\d+$/)
      ids.push(Number(text.slice(3)))
    }
    expect([...ids].sort((x, y) => x - y)).toEqual(ids)
    expect(new Set(ids).size).toBe(6)
    expect(sb.tasks({ key: other }).map((t) => Number(t.id))).toEqual([ids[1], ids[3], ids[5]])
  })

  it('json batch gets keep slot order with CAPCHA_NOT_READY and error slots', async () => {
    sb = await startSandbox({ speed: 1_000, solveTimes: { turnstile: { minMs: 600_000, maxMs: 600_000 } } })
    const slow = String((await json('/in.php', TS)).request)
    const fast = String(
      (await json('/in.php', { key: KEY, method: 'base64', body: makePng().toString('base64') })).request,
    )
    await until(() => sb!.task(fast)!.status === 'solved')
    const r = await json('/res.php', { key: KEY, action: 'get', ids: `${fast},${slow},abc,1` })
    const answer = sb.task(fast)!.answer!
    expect(answer).toMatch(/^[a-z0-9]{4,8}$/)
    expect(r).toEqual({
      status: 1,
      request: `${answer}|CAPCHA_NOT_READY|ERROR_WRONG_ID_FORMAT|ERROR_WRONG_CAPTCHA_ID`,
    })
    expect(sb.task(fast)).toMatchObject({ deliveredCount: 1, firstDeliveredAt: expect.any(Number) })
    expect(sb.task(slow)).toMatchObject({ deliveredCount: 0, firstDeliveredAt: null })
  })

  it('answers look real: long base64url tokens, alnum image text, GeeTest JSON; never a pipe', async () => {
    sb = await startSandbox({ speed: 100_000 })
    const submit: Array<Record<string, string>> = [
      { key: KEY, method: 'userrecaptcha', googlekey: 'k', pageurl: 'https://a.example' },
      TS,
      { key: KEY, method: 'geetest', gt: 'g', challenge: 'c', pageurl: 'https://a.example' },
      { key: KEY, method: 'base64', body: makePng().toString('base64') },
    ]
    for (const p of submit) await call('/in.php', p)
    await until(() => sb!.tasks({ status: 'solving' }).length === 0)
    const byType = Object.fromEntries(sb.tasks().map((t) => [t.type, t.answer!]))
    expect(byType.recaptcha_v2).toMatch(/^[A-Za-z0-9_-]{200,}$/)
    expect(byType.turnstile).toMatch(/^[A-Za-z0-9_.-]{200,}$/)
    expect(byType.image).toMatch(/^[a-z0-9]+$/)
    expect(JSON.parse(byType.geetest!)).toEqual({
      geetest_challenge: expect.stringMatching(/^[0-9a-f]+$/),
      geetest_validate: expect.stringMatching(/^[0-9a-f]+$/),
      geetest_seccode: expect.any(String),
    })
    for (const a of Object.values(byType)) expect(a).not.toContain('|')
  })

  it('getbalance is a decimal string; reports need a solved task of the same key', async () => {
    const other = 'o'.repeat(32)
    sb = await startSandbox({
      speed: 100_000,
      keys: [{ key: KEY, balanceMicros: 12_345_000 }, { key: other }],
    })
    expect(await json('/res.php', { key: KEY, action: 'getbalance' })).toEqual({
      status: 1,
      request: '12.345',
    })
    expect(await call('/res.php', { key: KEY, action: 'getbalance' })).toBe('OK|12.345')
    const id = (await call('/in.php', TS)).slice(3)
    await until(() => sb!.task(id)!.status === 'solved')
    expect(await call('/res.php', { key: other, action: 'reportbad', id })).toBe('ERROR_REPORT_NOT_RECORDED')
    expect(await call('/res.php', { key: KEY, action: 'reportgood', id })).toBe('OK_REPORT_RECORDED')
    expect(await call('/res.php', { key: KEY, action: 'reportgood', id })).toBe('ERROR_DUPLICATE_REPORT')
    expect(await call('/res.php', { key: KEY, action: 'nonsense' })).toBe('ERROR_BAD_PARAMETERS')
    expect(sb.stats()).toMatchObject({ getBalance: 2, reports: 3 })
  })

  it('errors in JSON carry error_text; protocol errors are HTTP 200', async () => {
    sb = await startSandbox({ speed: 1_000 })
    const r = await fetch(`${sb.url}/in.php`, {
      method: 'POST',
      body: new URLSearchParams({ key: KEY, method: 'turnstile', json: '1' }),
    })
    expect(r.status).toBe(200)
    expect(await r.json()).toEqual({ status: 0, request: 'ERROR_GOOGLEKEY', error_text: expect.any(String) })
  })

  it('bad keys on res.php count towards the ban; hits older than a minute do not', async () => {
    let t = 5_000_000
    sb = await startSandbox({ speed: 1_000, badKeyBanThreshold: 3, banMs: 300_000, now: () => t })
    await call('/res.php', { key: 'short', action: 'getbalance' })
    await call('/res.php', { key: 'z'.repeat(32), action: 'getbalance' })
    t += 61_000
    await call('/res.php', { key: 'short', action: 'getbalance' })
    expect(await call('/res.php', { key: KEY, action: 'getbalance' })).toBe('OK|10.00')
    await call('/in.php', { key: 'short' })
    // The third bad key within a minute is answered normally; the ban covers what follows.
    expect(await call('/res.php', { key: 'short', action: 'getbalance' })).toBe('ERROR_WRONG_USER_KEY')
    expect(await call('/res.php', { key: KEY, action: 'getbalance' })).toBe('IP_BANNED')
    expect(await json('/in.php', TS)).toMatchObject({ status: 0, request: 'IP_BANNED' })
    t += 299_000
    expect(await call('/in.php', TS)).toBe('IP_BANNED')
    t += 1_001
    expect(await call('/in.php', TS)).toMatch(/^OK\|/)
  })

  it('a lapsed plan is not a bad key and does not lead to a ban', async () => {
    sb = await startSandbox({ speed: 1_000, badKeyBanThreshold: 2 })
    sb.setKeyState(KEY, { state: 'no_threads' })
    for (let i = 0; i < 4; i++) expect(await call('/in.php', TS)).toBe('ERROR_KEY_DOES_NOT_EXIST')
    sb.setKeyState(KEY, { state: 'active' })
    expect(await call('/in.php', TS)).toMatch(/^OK\|/)
  })

  it('setKeyState changes threads and balance live; addKey adds keys', async () => {
    const k = 'n'.repeat(32)
    sb = await startSandbox({ speed: 1, solveTimes: { turnstile: { minMs: 600_000, maxMs: 600_000 } } })
    expect(await call('/in.php', { ...TS, key: k })).toBe('ERROR_KEY_DOES_NOT_EXIST')
    sb.addKey({ key: k, threads: 1 })
    expect(await call('/in.php', { ...TS, key: k })).toMatch(/^OK\|/)
    expect(await call('/in.php', { ...TS, key: k })).toBe('ERROR_NO_SLOT_AVAILABLE')
    sb.setKeyState(k, { threads: 2 })
    expect(await call('/in.php', { ...TS, key: k })).toMatch(/^OK\|/)
    expect(sb.threadsInUse(k)).toBe(2)
    sb.setKeyState(k, { chargePerSolveMicros: 5, balanceMicros: 4 })
    sb.setKeyState(k, { threads: 10 })
    expect(await call('/in.php', { ...TS, key: k })).toBe('ERROR_ZERO_BALANCE')
    expect(sb.tasks({ key: k })).toHaveLength(2)
    expect(() => sb!.setKeyState('x'.repeat(32), { threads: 1 })).toThrow(/unknown/)
  })

  it('keeps connections alive between requests', async () => {
    sb = await startSandbox({ speed: 1_000 })
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const reused: boolean[] = []
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = request(`${sb!.url}/res.php?key=${KEY}&action=getbalance`, { agent }, (res) => {
          res.resume()
          res.on('end', () => resolve())
        })
        req.on('error', reject)
        req.end()
        reused.push(req.reusedSocket)
      })
    }
    agent.destroy()
    expect(reused).toEqual([false, true, true])
  })

  it('counts calls per key (fingerprints only) and resets stats', async () => {
    sb = await startSandbox({ speed: 1_000 })
    const id = (await call('/in.php', TS)).slice(3)
    await call('/res.php', { key: KEY, action: 'get', id })
    await call('/res.php', { key: KEY, action: 'get', ids: id })
    const s = sb.stats()
    expect(s).toMatchObject({ inPhp: 1, resGet: 2, resGetIds: 1 })
    expect(s.byKey).toEqual({ [keyFingerprint(KEY)]: { inPhp: 1, resGet: 2 } })
    expect(JSON.stringify(s)).not.toContain(KEY)
    expect(JSON.stringify(sb.tasks())).not.toContain(KEY)
    sb.resetStats()
    expect(sb.stats()).toMatchObject({ inPhp: 0, resGet: 0, byKey: {} })
  })
})

describe('Sandbox faults and reconciliation', () => {
  it('under mixed faults, the tasks the client was told about are exactly the tasks recorded', async () => {
    sb = await startSandbox({
      speed: 100_000,
      seed: 3,
      faults: {
        http5xxRate: 0.15,
        dropRate: 0.1,
        malformedRate: 0.1,
        serverErrorRate: 0.1,
        unsolvableRate: 0.3,
      },
    })
    const told: string[] = []
    let failures = 0
    for (let i = 0; i < 150; i++) {
      try {
        const r = await fetch(`${sb.url}/in.php`, {
          method: 'POST',
          body: new URLSearchParams({ ...TS, json: '1' }),
        })
        const body = JSON.parse(await r.text()) as { status: number; request: string }
        if (body.status === 1) told.push(body.request)
        else failures++
      } catch {
        failures++
      }
    }
    expect(failures).toBeGreaterThan(20)
    expect(
      sb
        .tasks()
        .map((t) => t.id)
        .sort(),
    ).toEqual([...told].sort())
    await until(() => sb!.tasks({ status: 'solving' }).length === 0)
    const unsolvable = sb.tasks({ status: 'unsolvable' })
    expect(unsolvable.length).toBeGreaterThan(0)
    expect(unsolvable.every((t) => t.answer === null)).toBe(true)
    const f = sb.stats().faultsInjected
    for (const name of ['http5xx', 'drop', 'malformed', 'serverError', 'unsolvable'])
      expect(f[name]).toBeGreaterThan(0)
    expect(f.unsolvable).toBe(unsolvable.length)
  })

  it('unsolvable tasks free their thread and are never charged', async () => {
    const k = 'c'.repeat(32)
    sb = await startSandbox({
      speed: 100_000,
      faults: { unsolvableRate: 1 },
      keys: [{ key: k, threads: 1, balanceMicros: 1_000, chargePerSolveMicros: 1_000 }],
    })
    const id = (await call('/in.php', { ...TS, key: k })).slice(3)
    await until(() => sb!.threadsInUse(k) === 0)
    expect(sb.task(id)!.status).toBe('unsolvable')
    expect(sb.balance(k)).toBe(1_000)
    expect(await call('/in.php', { ...TS, key: k })).toMatch(/^OK\|/)
  })

  it('malformed plain replies are garbage, not protocol text', async () => {
    sb = await startSandbox({ speed: 1_000, faults: { malformedRate: 1 } })
    const text = await call('/in.php', TS)
    expect(text).not.toMatch(/^(OK\||ERROR_|CAPCHA_NOT_READY)/)
    expect(sb.tasks()).toHaveLength(0)
  })

  it('5xx faults apply to res.php as well and create nothing', async () => {
    sb = await startSandbox({ speed: 1_000, faults: { http5xxRate: 1 } })
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${sb.url}/res.php?key=${KEY}&action=getbalance`)
      expect([500, 502]).toContain(r.status)
      expect(r.headers.get('content-type')).toMatch(/text\/html/)
      await r.text()
    }
    expect(sb.stats().faultsInjected.http5xx).toBe(6)
  })

  it('survives arbitrary requests and keeps answering', async () => {
    sb = await startSandbox({ speed: 100_000, badKeyBanThreshold: 1_000_000 })
    const png = makePng().toString('base64')
    const field = fc.oneof(
      fc.string(),
      fc.constantFrom(
        KEY,
        'userrecaptcha',
        'turnstile',
        'geetest',
        'base64',
        'post',
        'get',
        '1',
        png,
        'https://a.example',
      ),
    )
    const name = fc.constantFrom(
      'key',
      'method',
      'action',
      'id',
      'ids',
      'json',
      'body',
      'pageurl',
      'googlekey',
      'sitekey',
      'gt',
      'challenge',
      'version',
      'min_score',
      '__proto__',
      'constructor',
    )
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/in.php', '/res.php', '/', '/x/in.php/', '/res.php?%zz'),
        fc.dictionary(name, field),
        fc.constantFrom(
          'application/x-www-form-urlencoded',
          'multipart/form-data',
          'multipart/form-data; boundary=zz',
          'application/json',
          'text/plain',
        ),
        async (path, params, type) => {
          const r = await fetch(`${sb!.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': type },
            body:
              type === 'application/json' ? JSON.stringify(params) : new URLSearchParams(params).toString(),
          })
          expect([200, 404]).toContain(r.status)
          await r.text()
        },
      ),
      { numRuns: 150 },
    )
    expect(await call('/res.php', { key: KEY, action: 'getbalance' })).toBe('OK|10.00')
  })
})

describe('Sandbox pingback and shutdown', () => {
  it('sends ERROR_CAPTCHA_UNSOLVABLE to the pingback for unsolvable tasks, and skips non-loopback URLs', async () => {
    const hits: string[] = []
    const receiver = createServer((req, res) => {
      hits.push(req.url ?? '')
      res.end('ok')
    })
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()))
    const port = (receiver.address() as { port: number }).port
    try {
      sb = await startSandbox({ speed: 100_000, faults: { unsolvableRate: 1 } })
      const id = (await call('/in.php', { ...TS, pingback: `http://127.0.0.1:${port}/cb?tenant=7` })).slice(3)
      const far = (await call('/in.php', { ...TS, pingback: 'http://192.0.2.1/cb' })).slice(3)
      await until(() => hits.length > 0 && sb!.tasks({ status: 'solving' }).length === 0)
      await sleep(30)
      expect(hits).toHaveLength(1)
      const u = new URL(hits[0]!, 'http://x')
      expect(u.pathname).toBe('/cb')
      expect(Object.fromEntries(u.searchParams)).toEqual({
        tenant: '7',
        id,
        code: 'ERROR_CAPTCHA_UNSOLVABLE',
      })
      expect(sb.task(far)!.status).toBe('unsolvable')
    } finally {
      receiver.close()
    }
  })

  it('close() ends open sockets, solves in flight and slow replies, so the process exits by itself', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'close-child.ts')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    const code = await new Promise<number | null>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000)
      child.on('exit', (c) => {
        clearTimeout(kill)
        resolve(c)
      })
    })
    expect(err).toBe('')
    expect(code).toBe(0)
    expect(out.trim()).toBe('CLOSED 5 aborted')
  })
})

describe('Sandbox left running', () => {
  it('forgets a task some time after it ended, like an expired id upstream; never one still solving', async () => {
    const clock = { now: 1_000_000 }
    sb = await startSandbox({
      speed: 1_000,
      now: () => clock.now,
      keepEndedMs: 60_000,
      solveTimes: {
        turnstile: { minMs: 1_000, maxMs: 1_000 },
        image: { minMs: 3_600_000, maxMs: 3_600_000 },
      },
    })
    const ended = String((await json('/in.php', TS)).request)
    const solving = (
      await call('/in.php', { key: KEY, method: 'base64', body: makePng().toString('base64') })
    ).slice(3)
    await until(() => sb!.task(ended)?.status === 'solved')
    expect(sb.task(ended)?.status).toBe('solved')
    clock.now += 59_000 // within the kept time: still there after another task arrives
    await json('/in.php', TS)
    expect((await json('/res.php', { key: KEY, action: 'get', id: ended })).status).toBe(1)
    clock.now += 2_000 // past it: forgotten when the next task arrives
    await json('/in.php', TS)
    expect(sb.task(ended)).toBeUndefined()
    expect(await json('/res.php', { key: KEY, action: 'get', id: ended })).toMatchObject({
      status: 0,
      request: 'ERROR_WRONG_CAPTCHA_ID',
    })
    expect(sb.task(solving)?.status).toBe('solving')
  })

  it('keeps at most so many ended tasks, the most recent', async () => {
    sb = await startSandbox({
      speed: 1_000,
      keepEndedTasks: 2,
      solveTimes: { turnstile: { minMs: 0, maxMs: 0 } },
    })
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      ids.push(String((await json('/in.php', TS)).request))
      await until(() => sb!.task(ids.at(-1)!)?.status === 'solved')
    }
    // The fifth arrived with four ended before it: the two most recent of those are kept, and the fifth itself.
    expect(sb.tasks().map((t) => t.id)).toEqual(ids.slice(2))
    await expect(startSandbox({ keepEndedTasks: 1.5 })).rejects.toThrow(/keepEndedTasks/)
    await expect(startSandbox({ keepEndedMs: -1 })).rejects.toThrow(/keepEndedMs/)
  })
})
