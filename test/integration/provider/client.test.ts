import { createServer, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import type { CaptchaRequest } from '@shared/captcha'
import { PROVIDER_PRESETS, type ProviderProfile } from '@shared/provider'
import {
  createProviderClient,
  ProviderError,
  type ProviderClient,
  type TaskOutcome,
} from '../../../electron/engine/provider'
import {
  SANDBOX_DEMO_KEY,
  startSandbox,
  type Sandbox,
  type SandboxOptions,
} from '../../../electron/engine/sandbox'
import { makePng } from '../../support/images'

const SPEED = 1_000
let sb: Sandbox | undefined
let client: ProviderClient | undefined
let receiver: Server | undefined
afterEach(async () => {
  await client?.close()
  await sb?.close()
  await new Promise((r) => (receiver ? receiver.close(r) : r(undefined)))
  sb = undefined
  client = undefined
  receiver = undefined
})

/** A loopback pingback receiver that hands (id, code) to the client, as the app's endpoint does. */
async function pingbackReceiver(): Promise<{ url: string; received: string[] }> {
  const received: string[] = []
  receiver = createServer((req, res) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams
    received.push(q.get('id') ?? '')
    client?.acceptPingback(q.get('id') ?? '', q.get('code') ?? '')
    res.end('ok')
  })
  await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', () => r()))
  return { url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/pingback`, received }
}

async function setup(opts: SandboxOptions = {}, profile: Partial<ProviderProfile> = {}, speed = SPEED) {
  sb = await startSandbox({ speed, seed: 7, ...opts })
  client = createProviderClient({
    profile: { ...PROVIDER_PRESETS.sandbox, baseUrl: sb.url, ...profile },
    speed,
  })
  return { sb, client }
}

const requests: CaptchaRequest[] = [
  { type: 'image', body: makePng().toString('base64') },
  {
    type: 'recaptcha_v2',
    googlekey: '6Le-wvkSAAAAAPBMRTvw0Q4Muexq9bi0DJwx_mJ-',
    pageurl: 'https://example.com/login',
  },
  {
    type: 'recaptcha_v2',
    googlekey: 'k',
    pageurl: 'https://example.com',
    invisible: true,
    enterprise: true,
    dataS: 'x',
  },
  { type: 'recaptcha_v3', googlekey: 'k', pageurl: 'https://example.com', action: 'login', minScore: 0.3 },
  { type: 'turnstile', sitekey: '0x4AAAAAAAC3DHQFLr1GavRN', pageurl: 'https://example.com' },
  {
    type: 'geetest',
    gt: '81388ea1fc187e0c335c0a8907ff2625',
    challenge: '12345678abc90123d45678ef90123a456b',
    pageurl: 'https://example.com',
  },
]

describe('provider client against the Sandbox', () => {
  it('solves every captcha type and the answers match the Sandbox record', async () => {
    const { sb, client } = await setup()
    const outcomes = await Promise.all(requests.map((r) => client.solve(SANDBOX_DEMO_KEY, r)))
    for (const o of outcomes) {
      expect(o.status).toBe('solved')
      if (o.status === 'solved') expect(o.answer).toBe(sb.task(o.taskId)?.answer)
    }
    expect(new Set(sb.tasks().map((t) => t.type))).toEqual(
      new Set(['image', 'recaptcha_v2', 'recaptcha_v3', 'turnstile', 'geetest']),
    )
  })

  it('rejects invalid input before any HTTP call, naming the field', async () => {
    const { sb, client } = await setup()
    const bad = [
      { type: 'recaptcha_v2', googlekey: '', pageurl: 'https://example.com' },
      { type: 'turnstile', sitekey: 'abc', pageurl: 'javascript:alert(1)' },
      { type: 'image', body: 'not base64!' },
      { type: 'recaptcha_v3', googlekey: 'k', pageurl: 'https://e.com', minScore: 2 },
      { type: 'hcaptcha', sitekey: 'x', pageurl: 'https://e.com' },
      { type: 'geetest', gt: 'g', pageurl: 'https://e.com' },
    ] as unknown as CaptchaRequest[]
    for (const r of bad) {
      const err = await client.solve(SANDBOX_DEMO_KEY, r).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ProviderError)
      expect((err as ProviderError).code).toBe('INVALID_REQUEST')
      expect((err as ProviderError).action).toBe('fail_task')
    }
    expect((await client.solve(SANDBOX_DEMO_KEY, bad[1]!).catch((e: Error) => e.message)) as string).toMatch(
      /pageurl/,
    )
    expect(sb.stats().inPhp).toBe(0)
  })

  it('classifies a bad key as stop_key and never echoes the key', async () => {
    const { client } = await setup()
    const key = 'z'.repeat(32)
    const err = (await client.solve(key, requests[4]!).catch((e: unknown) => e)) as ProviderError
    expect(err.code).toBe('ERROR_KEY_DOES_NOT_EXIST')
    expect(err.action).toBe('stop_key')
    expect(err.message).not.toContain(key)
    expect(JSON.stringify(err)).not.toContain(key)
  })

  it('IP_BANNED stops the key with a retry-after and fails fast afterwards', async () => {
    const { sb, client } = await setup({ badKeyBanThreshold: 2 })
    await fetch(`${sb.url}/in.php?key=bad`)
    await fetch(`${sb.url}/in.php?key=bad`)
    const err = (await client.solve(SANDBOX_DEMO_KEY, requests[4]!).catch((e: unknown) => e)) as ProviderError
    expect(err).toMatchObject({ code: 'IP_BANNED', action: 'stop_key' })
    expect(err.retryAfterMs).toBe(300_000)
    const before = sb.stats().inPhp
    const again = (await client
      .solve(SANDBOX_DEMO_KEY, requests[4]!)
      .catch((e: unknown) => e)) as ProviderError
    expect(again.code).toBe('IP_BANNED')
    expect(sb.stats().inPhp).toBe(before)
  })

  it('retries NO_SLOT until a thread frees up', async () => {
    const key = 'n'.repeat(32)
    const { sb, client } = await setup({ keys: [{ key, threads: 1 }] })
    const outcomes = await Promise.all([
      client.solve(key, requests[3]!),
      client.solve(key, requests[3]!),
      client.solve(key, requests[3]!),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['solved', 'solved', 'solved'])
    expect(sb.tasks({ key })).toHaveLength(3)
  })

  it('ERROR_ZERO_BALANCE: retried on CaptchaAI-like profiles (no threads), stops the key on 2captcha-like ones', async () => {
    const key = 'b'.repeat(32)
    const { client } = await setup(
      { keys: [{ key, balanceMicros: 0, chargePerSolveMicros: 1_000 }] },
      { zeroBalanceMeansNoThreads: false },
    )
    const err = (await client.solve(key, requests[4]!).catch((e: unknown) => e)) as ProviderError
    expect(err).toMatchObject({ code: 'ERROR_ZERO_BALANCE', action: 'stop_key' })
    await client.close()
    await sb!.close()
    const again = await setup(
      { keys: [{ key, balanceMicros: 0, chargePerSolveMicros: 1_000 }] },
      { zeroBalanceMeansNoThreads: true },
    )
    // Retried with back-off until the client's retry budget (maxSubmitRetries, 10 by default) runs out.
    const err2 = (await again.client
      .solve(key, requests[4]!, { timeoutMs: 60_000 })
      .catch((e: unknown) => e)) as ProviderError
    expect(err2).toMatchObject({ code: 'ERROR_ZERO_BALANCE', action: 'retry' })
    expect(again.sb.stats().inPhp).toBe(11)
  })

  it('an unsolvable task ends as failed with the upstream code', async () => {
    const { client } = await setup({ faults: { unsolvableRate: 1 } })
    const o = await client.solve(SANDBOX_DEMO_KEY, requests[4]!)
    expect(o).toMatchObject({ status: 'failed', code: 'ERROR_CAPTCHA_UNSOLVABLE', action: 'fail_task' })
  })

  it('a lapsed plan fails the key; ERROR_SERVER_ERROR retries are capped', async () => {
    const { sb, client } = await setup({ faults: { serverErrorRate: 1 } }, {}, 100_000)
    const err = (await client
      .solve(SANDBOX_DEMO_KEY, requests[4]!, { timeoutMs: 5_000 })
      .catch((e: unknown) => e)) as ProviderError
    expect(err).toMatchObject({ code: 'ERROR_SERVER_ERROR', action: 'fail_task' })
    expect(sb.stats().inPhp).toBe(4)
    sb.setFaults({})
    sb.setKeyState(SANDBOX_DEMO_KEY, { state: 'no_threads' })
    expect(await client.solve(SANDBOX_DEMO_KEY, requests[4]!).catch((e: ProviderError) => e.action)).toBe(
      'stop_key',
    )
  })

  it('polls all in-flight tasks of a key with ids= batches', async () => {
    const { sb, client } = await setup(
      { solveTimes: { turnstile: { minMs: 10_000, maxMs: 15_000 } } },
      {},
      50,
    )
    const n = 40
    const outcomes = await Promise.all(
      Array.from({ length: n }, () => client.solve(SANDBOX_DEMO_KEY, requests[4]!)),
    )
    expect(outcomes.every((o) => o.status === 'solved')).toBe(true)
    const s = sb.stats()
    expect(s.resGetIds).toBeGreaterThan(0)
    // Far fewer gets than tasks, nearly all of them batches: one call served many tasks.
    expect(s.resGetIds).toBeGreaterThanOrEqual(s.resGet - 2)
    expect(s.resGet).toBeLessThan(n / 2)
    expect(outcomes.every((o) => sb.task(o.taskId)?.deliveredCount === 1)).toBe(true)
  })

  it('the CaptchaAI profile (single gets, its own timings) solves against the Sandbox', async () => {
    const { baseUrl: _real, ...captchaai } = PROVIDER_PRESETS.captchaai
    // A Sandbox without ids= batches, as CaptchaAI (unconfirmed there): one probe, then single gets.
    const { sb, client } = await setup({ batchGet: false }, captchaai)
    const outcomes = await Promise.all(requests.map((r) => client.solve(SANDBOX_DEMO_KEY, r)))
    for (const o of outcomes) {
      expect(o.status).toBe('solved')
      if (o.status === 'solved') expect(o.answer).toBe(sb.task(o.taskId)?.answer)
    }
    expect(sb.stats().resGetIds).toBe(1)
  })

  it('GeeTest answers come back as strings', async () => {
    const { client } = await setup()
    const o = await client.solve(SANDBOX_DEMO_KEY, requests[5]!)
    expect(o.status).toBe('solved')
    if (o.status === 'solved') {
      expect(typeof o.answer).toBe('string')
      expect(JSON.parse(o.answer)).toHaveProperty('geetest_validate')
    }
  })

  it('a profile without batch support probes ids= once; an upstream without them is then polled task by task', async () => {
    const { sb, client } = await setup({ batchGet: false }, { supportsBatchGet: false })
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () => client.solve(SANDBOX_DEMO_KEY, requests[3]!)),
    )
    expect(outcomes.every((o) => o.status === 'solved')).toBe(true)
    expect(sb.stats().resGetIds).toBe(1)
    expect(sb.stats().resGet).toBeGreaterThanOrEqual(5)
  })

  it('a profile without batch support switches to batches when the probe proves the upstream has them', async () => {
    const { sb, client } = await setup({}, { supportsBatchGet: false })
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => client.solve(SANDBOX_DEMO_KEY, requests[3]!)),
    )
    expect(outcomes.every((o) => o.status === 'solved')).toBe(true)
    expect(sb.stats().resGetIds).toBeGreaterThan(1)
    expect(sb.stats().resGet).toBeLessThan(40)
  })

  it('cancels with an AbortSignal: outcome cancelled, no more polling of that task', async () => {
    const { sb, client } = await setup({ solveTimes: { turnstile: { minMs: 2_000_000, maxMs: 2_000_000 } } })
    const ctl = new AbortController()
    const pending = client.solve(SANDBOX_DEMO_KEY, requests[4]!, { signal: ctl.signal, timeoutMs: 5_000 })
    await new Promise((r) => setTimeout(r, 30))
    ctl.abort()
    const o = await pending
    expect(o.status).toBe('cancelled')
    await new Promise((r) => setTimeout(r, 50)) // a poll already on the wire may still land
    const polls = sb.stats().resGet
    await new Promise((r) => setTimeout(r, 150))
    expect(sb.stats().resGet).toBe(polls)
  })

  it('times out at the overall deadline', async () => {
    const { client } = await setup({ solveTimes: { recaptcha_v2: { minMs: 600_000, maxMs: 600_000 } } })
    const o = await client.solve(SANDBOX_DEMO_KEY, requests[1]!, { timeoutMs: 80 })
    expect(o.status).toBe('timed_out')
  })

  it('a pingback resolves the waiter at once', async () => {
    const { sb, client } = await setup(
      { solveTimes: { turnstile: { minMs: 20_000, maxMs: 20_000 } } },
      {},
      10,
    )
    let taskId = ''
    const pending = client.solve(SANDBOX_DEMO_KEY, requests[4]!, {
      onSubmitted: (s) => void (taskId = s.taskId),
    })
    for (let i = 0; i < 500 && taskId === ''; i++) await new Promise((r) => setTimeout(r, 2))
    expect(client.acceptPingback(taskId, 'TOKEN-FROM-PINGBACK')).toBe(true)
    expect(await pending).toMatchObject({ status: 'solved', answer: 'TOKEN-FROM-PINGBACK' })
    expect(client.acceptPingback('999', 'x')).toBe(false)
    expect(sb.stats().resGet).toBe(0)
  })

  it('pingback from the Sandbox over HTTP resolves tasks (solved and unsolvable) before any poll', async () => {
    const { sb, client } = await setup(
      { faults: { unsolvableRate: 0.5 }, solveTimes: { turnstile: { minMs: 3_000, maxMs: 4_000 } } },
      {},
      100,
    )
    const pb = await pingbackReceiver()
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => client.solve(SANDBOX_DEMO_KEY, requests[4]!, { pingbackUrl: pb.url })),
    )
    expect(pb.received.length).toBe(10)
    for (const o of outcomes) {
      const t = sb.task(o.taskId)!
      if (t.status === 'solved') expect(o).toMatchObject({ status: 'solved', answer: t.answer })
      else expect(o).toMatchObject({ status: 'failed', code: 'ERROR_CAPTCHA_UNSOLVABLE' })
    }
    expect(sb.stats().resGet).toBe(0)
  })

  it('close() mid-flight ends every accepted task as cancelled, exactly once', async () => {
    const { sb, client } = await setup({ solveTimes: { turnstile: { minMs: 600_000, maxMs: 600_000 } } })
    const pending = Array.from({ length: 20 }, () =>
      client.solve(SANDBOX_DEMO_KEY, requests[4]!, { timeoutMs: 60_000 }),
    )
    while (sb.tasks().length < 20) await new Promise((r) => setTimeout(r, 2))
    await client.close()
    const outcomes = await Promise.all(pending)
    expect(outcomes.map((o) => o.status)).toEqual(Array(20).fill('cancelled'))
    expect(new Set(outcomes.map((o) => o.taskId))).toEqual(new Set(sb.tasks().map((t) => t.id)))
  })

  it('reads the balance exactly in micros, checks tasks, reports', async () => {
    const key = 'c'.repeat(32)
    const { client } = await setup({ keys: [{ key, balanceMicros: 12_345_678 }] })
    expect(await client.getBalance(key)).toBe(12_345_678)
    const o = await client.solve(key, requests[4]!)
    expect(await client.checkTask(key, o.taskId)).toEqual({
      ready: true,
      answer: (o as { answer: string }).answer,
    })
    await client.report(key, o.taskId, 'good')
    expect(await client.checkTask(key, '1')).toEqual({ ready: true, error: 'ERROR_WRONG_CAPTCHA_ID' })
  })
})

describe('provider client under injected faults', () => {
  it('reconciliation: 200 concurrent solves with every fault on; each accepted task resolved once, answers match', async () => {
    const { sb, client } = await setup(
      {
        keys: [{ key: SANDBOX_DEMO_KEY, threads: 120 }],
        faults: {
          http5xxRate: 0.05,
          malformedRate: 0.05,
          dropRate: 0.05,
          slowReplyRate: 0.05,
          slowReplyMs: 20,
          serverErrorRate: 0.05,
          unsolvableRate: 0.1,
        },
      },
      {},
      2_000,
    )
    const settled = new Map<string, number>()
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        client.solve(SANDBOX_DEMO_KEY, requests[i % requests.length]!, { timeoutMs: 20_000 }).then((o) => {
          settled.set(o.taskId, (settled.get(o.taskId) ?? 0) + 1)
          return o
        }),
      ),
    )
    const outcomes = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ProviderError)
    const accepted = sb.tasks({ key: SANDBOX_DEMO_KEY })
    expect(accepted.length).toBeGreaterThan(150)
    expect(new Set(settled.keys())).toEqual(new Set(accepted.map((t) => t.id)))
    expect([...settled.values()].every((n) => n === 1)).toBe(true)
    expect(Object.keys(sb.stats().faultsInjected).length).toBeGreaterThanOrEqual(5)
    for (const o of outcomes) {
      const t = sb.task(o.taskId)!
      if (t.status === 'solved') expect(o).toMatchObject({ status: 'solved', answer: t.answer })
      else expect(o).toMatchObject({ status: 'failed', code: 'ERROR_CAPTCHA_UNSOLVABLE' })
    }
  })

  for (const [name, faults] of [
    ['HTTP 5xx', { http5xxRate: 0.3 }],
    ['malformed replies', { malformedRate: 0.3 }],
    ['dropped connections', { dropRate: 0.3 }],
    ['slow replies', { slowReplyRate: 0.3, slowReplyMs: 30 }],
    ['server errors', { serverErrorRate: 0.2 }],
    [
      'everything at once',
      {
        http5xxRate: 0.1,
        malformedRate: 0.1,
        dropRate: 0.1,
        slowReplyRate: 0.1,
        slowReplyMs: 20,
        unsolvableRate: 0.2,
      },
    ],
  ] as const) {
    it(`${name}: every accepted task is resolved exactly once and matches the Sandbox`, async () => {
      const { sb, client } = await setup({ faults }, {}, 2_000)
      const submitted = new Map<string, number>()
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) =>
          client.solve(SANDBOX_DEMO_KEY, requests[i % requests.length]!, {
            timeoutMs: 10_000,
            onSubmitted: (s) => void submitted.set(s.taskId, (submitted.get(s.taskId) ?? 0) + 1),
          }),
        ),
      )
      const outcomes = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])) as TaskOutcome[]
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ProviderError)
      const accepted = sb.tasks({ key: SANDBOX_DEMO_KEY })
      expect(new Set(outcomes.map((o) => o.taskId))).toEqual(new Set(accepted.map((t) => t.id)))
      expect([...submitted.values()].every((n) => n === 1)).toBe(true)
      for (const o of outcomes) {
        const t = sb.task(o.taskId)!
        if (o.status === 'solved') expect(o.answer).toBe(t.answer)
        else expect(o).toMatchObject({ status: 'failed', code: 'ERROR_CAPTCHA_UNSOLVABLE' })
      }
    })
  }
})
