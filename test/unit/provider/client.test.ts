import { afterEach, describe, expect, it } from 'vitest'
import type { CaptchaRequest } from '@shared/captcha'
import { PROVIDER_PRESETS, type ProviderProfile } from '@shared/provider'
import {
  createProviderClient,
  ProviderError,
  type ProviderClient,
  type TaskOutcome,
} from '../../../electron/engine/provider'
import type { ProviderClientOptions } from '../../../electron/engine/provider/client'
import { fakeUpstream, never, type FakeCall, type FakeReply } from './fake-upstream'

const KEY = 'k'.repeat(32)
const BASE = 'http://127.0.0.1:9'
const SPEED = 1_000
const turnstile: CaptchaRequest = { type: 'turnstile', sitekey: 'site', pageurl: 'https://example.com' }
const v2: CaptchaRequest = { type: 'recaptcha_v2', googlekey: 'g', pageurl: 'https://example.com' }

/** Records the listeners added to and removed from `signal` (which still works as before). */
function listenersOf(signal: AbortSignal): { added: unknown[]; removed: unknown[] } {
  const added: unknown[] = []
  const removed: unknown[] = []
  const add = signal.addEventListener.bind(signal)
  const remove = signal.removeEventListener.bind(signal)
  signal.addEventListener = (type: string, fn: never, o?: never) => (added.push(fn), add(type, fn, o))
  signal.removeEventListener = (type: string, fn: never, o?: never) => (removed.push(fn), remove(type, fn, o))
  return { added, removed }
}

let client: ProviderClient | undefined
afterEach(async () => {
  await client?.close()
  client = undefined
})

function make(
  handler: (call: FakeCall) => FakeReply | Promise<FakeReply>,
  opts: Partial<Omit<ProviderClientOptions, 'profile'>> & { profile?: Partial<ProviderProfile> } = {},
) {
  const up = fakeUpstream(handler)
  const { profile, ...rest } = opts
  client = createProviderClient({
    profile: { ...PROVIDER_PRESETS.sandbox, baseUrl: BASE, ...profile },
    fetch: up.fetch,
    speed: SPEED,
    random: () => 0.5,
    ...rest,
  })
  return { up, client }
}

/** A tiny upstream: tasks turn ready `readyAfterMs` (real ms) after submit; answers "ANS-<id>". */
function simulated(readyAfterMs = 5, answer = (id: string): unknown => `ANS-${id}`) {
  let next = 100
  const readyAt = new Map<string, number>()
  const result = (id: string): string =>
    !readyAt.has(id) ? 'ERROR_WRONG_CAPTCHA_ID' : Date.now() < readyAt.get(id)! ? 'CAPCHA_NOT_READY' : 'ready'
  const handler = (call: FakeCall): FakeReply => {
    if (call.path === 'in.php') {
      const id = String(next++)
      readyAt.set(id, Date.now() + readyAfterMs)
      return { status: 1, request: Number(id) }
    }
    if (call.params.ids) {
      const parts = call.params.ids.split(',').map((id) => {
        const r = result(id)
        return r === 'ready' ? String(answer(id)) : r
      })
      return { status: 1, request: parts.join('|') }
    }
    const r = result(call.params.id!)
    return r === 'ready' ? { status: 1, request: answer(call.params.id!) } : { status: 0, request: r }
  }
  return { handler, readyAt }
}

/** Fast timings: first poll 1 s, at most 2 s between polls (real-time ms, divided by SPEED). */
const fastTiming = Object.fromEntries(
  ['image', 'recaptcha_v2', 'recaptcha_v3', 'turnstile', 'geetest'].map((t) => [
    t,
    { firstPollMs: 1_000, pollIntervalMs: 2_000, typicalMaxMs: 5_000 },
  ]),
)

describe('submit', () => {
  it('sends the key and json=1 in the POST body, never in the URL, and normalises numeric ids', async () => {
    const { up, client } = make(() => ({ status: 1, request: 73000000001 }))
    const s = await client.submit(KEY, turnstile)
    expect(s.taskId).toBe('73000000001')
    const call = up.calls[0]!
    expect(call.url).toBe(`${BASE}/in.php`)
    expect(call.url).not.toContain(KEY)
    expect(call.params).toMatchObject({
      key: KEY,
      json: '1',
      method: 'turnstile',
      sitekey: 'site',
      pageurl: 'https://example.com',
    })
  })

  it('passes pingback= when a pingback URL is given', async () => {
    const { up, client } = make(() => ({ status: 1, request: '5' }))
    await client.submit(KEY, turnstile, { pingbackUrl: 'https://desk.example/pingback' })
    expect(up.calls[0]!.params.pingback).toBe('https://desk.example/pingback')
  })

  it('refuses invalid input before any call, naming the field', async () => {
    const { up, client } = make(() => ({ status: 1, request: '5' }))
    const err = (await client
      .submit(KEY, { type: 'turnstile', sitekey: '', pageurl: 'https://e.com' })
      .catch((e: unknown) => e)) as ProviderError
    expect(err).toBeInstanceOf(ProviderError)
    expect(err).toMatchObject({ code: 'INVALID_REQUEST', action: 'fail_task' })
    expect(err.message).toMatch(/sitekey/)
    expect(up.calls).toHaveLength(0)
  })

  it('refuses a polling policy whose chances are not between 0 and 1, naming them', () => {
    for (const pollPolicy of [
      { readyChanceAtScale: 1.5 },
      { readyChanceAtScale: 0 },
      { readyChancePerPoll: -1 },
    ])
      expect(() => make(() => ({ status: 1, request: '5' }), { pollPolicy })).toThrow(
        /0 < readyChancePerPoll ≤ 1, 0 < readyChanceAtScale ≤ 1/,
      )
  })

  it('retries NO_SLOT, HTTP 429, 5xx pages and unparseable replies, then succeeds', async () => {
    const replies: FakeReply[] = [
      { status: 0, request: 'ERROR_NO_SLOT_AVAILABLE' },
      new Response('slow down', { status: 429 }),
      new Response('<html>502 Bad Gateway</html>', { status: 502 }),
      new Response('{"status":1,"requ', { status: 200 }),
      new Error('ECONNRESET'),
      { status: 1, request: '42' },
    ]
    const { up, client } = make(() => replies.shift()!)
    expect((await client.submit(KEY, turnstile, { timeoutMs: 60_000 })).taskId).toBe('42')
    expect(up.calls).toHaveLength(6)
  })

  it('caps ERROR_SERVER_ERROR at 3 retries (it can mean "unsupported")', async () => {
    const { up, client } = make(() => ({ status: 0, request: 'ERROR_SERVER_ERROR' }))
    const err = (await client
      .submit(KEY, turnstile, { timeoutMs: 60_000 })
      .catch((e: unknown) => e)) as ProviderError
    expect(err).toMatchObject({ code: 'ERROR_SERVER_ERROR', action: 'fail_task' })
    expect(up.calls).toHaveLength(4)
  })

  it('gives up after maxSubmitRetries whatever the code', async () => {
    const { up, client } = make(() => new Response('down', { status: 503 }), { maxSubmitRetries: 2 })
    const err = (await client
      .submit(KEY, turnstile, { timeoutMs: 60_000 })
      .catch((e: unknown) => e)) as ProviderError
    expect(err).toMatchObject({ code: 'HTTP_503', action: 'retry' })
    expect(up.calls).toHaveLength(3)
  })

  it('gives up at the deadline while still failing', async () => {
    const { client } = make(() => ({ status: 0, request: 'ERROR_NO_SLOT_AVAILABLE' }))
    const err = (await client
      .submit(KEY, turnstile, { timeoutMs: 20 })
      .catch((e: unknown) => e)) as ProviderError
    expect(err).toMatchObject({ code: 'ERROR_NO_SLOT_AVAILABLE', action: 'retry' })
  })

  it('ERROR_ZERO_BALANCE: retried where it means "no free threads", stops the key where it means "no money"', async () => {
    const threads = make(() => ({ status: 0, request: 'ERROR_ZERO_BALANCE' }), {
      profile: PROVIDER_PRESETS.captchaai,
      maxSubmitRetries: 2,
    })
    expect(
      await threads.client
        .submit(KEY, turnstile, { timeoutMs: 600_000 })
        .catch((e: ProviderError) => e.action),
    ).toBe('retry')
    expect(threads.up.calls).toHaveLength(3)
    await threads.client.close()
    const money = make(() => ({ status: 0, request: 'ERROR_ZERO_BALANCE' }), {
      profile: PROVIDER_PRESETS['2captcha'],
    })
    const err = (await money.client.submit(KEY, turnstile).catch((e: unknown) => e)) as ProviderError
    expect(err).toMatchObject({ code: 'ERROR_ZERO_BALANCE', action: 'stop_key' })
    expect(money.up.calls).toHaveLength(1)
  })

  it('IP_BANNED stops the key for 5 minutes: no further calls until it lifts', async () => {
    let t = 1_000_000
    const { up, client } = make(() => ({ status: 0, request: 'IP_BANNED' }), { now: () => t })
    const err = (await client.submit(KEY, turnstile).catch((e: unknown) => e)) as ProviderError
    expect(err).toMatchObject({ code: 'IP_BANNED', action: 'stop_key', retryAfterMs: 300_000 })
    t += 60_000
    const again = (await client.submit(KEY, turnstile).catch((e: unknown) => e)) as ProviderError
    expect(again).toMatchObject({ code: 'IP_BANNED', action: 'stop_key', retryAfterMs: 240_000 })
    expect(up.calls).toHaveLength(1)
    t += 240_001
    await client.submit(KEY, turnstile).catch(() => undefined)
    expect(up.calls).toHaveLength(2)
  })

  it('fails the task on input errors the upstream reports', async () => {
    for (const code of ['ERROR_PAGEURL', 'ERROR_BAD_PARAMETERS', 'ERROR_WRONG_GOOGLEKEY']) {
      const { up, client } = make(() => ({ status: 0, request: code }))
      expect(await client.submit(KEY, turnstile).catch((e: ProviderError) => [e.code, e.action])).toEqual([
        code,
        'fail_task',
      ])
      expect(up.calls).toHaveLength(1)
      await client.close()
    }
  })

  it('never puts the key into errors or logs', async () => {
    const lines: string[] = []
    const log = (m: string, d?: Record<string, unknown>) => void lines.push(m + JSON.stringify(d ?? {}))
    const replies: FakeReply[] = [
      new Error(`connect ECONNREFUSED key=${KEY}`),
      { status: 0, request: 'ERROR_KEY_DOES_NOT_EXIST' },
    ]
    const { client } = make(() => replies.shift()!, {
      logger: { debug: log, info: log, warn: log, error: log },
    })
    const err = (await client.submit(KEY, turnstile, { timeoutMs: 60_000 }).catch((e: unknown) => e)) as Error
    expect(err).toMatchObject({ code: 'ERROR_KEY_DOES_NOT_EXIST', action: 'stop_key' })
    expect(lines.length).toBeGreaterThan(0)
    for (const text of [err.message, err.stack ?? '', JSON.stringify(err), ...lines])
      expect(text).not.toContain(KEY)
  })
})

describe('the key poller', () => {
  it('polls all in-flight tasks of a key with one ids= call and resolves each with its answer', async () => {
    const sim = simulated(5)
    // First poll 100 ms (real) after a submit: the 30 submits are in flight by then even on a loaded machine (with
    // fastTiming's 1 ms they were spread over several polls when the suite ran beside others).
    const timing = {
      ...fastTiming,
      turnstile: { firstPollMs: 100_000, pollIntervalMs: 2_000, typicalMaxMs: 200_000 },
    }
    const { up, client } = make(sim.handler, { timing })
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, () => client.solve(KEY, turnstile, { timeoutMs: 600_000 })),
    )
    for (const o of outcomes) expect(o).toMatchObject({ status: 'solved', answer: `ANS-${o.taskId}` })
    const gets = up.calls.filter((c) => c.path === 'res.php')
    expect(gets.every((c) => c.params.ids !== undefined)).toBe(true)
    expect(gets.length).toBeLessThan(10)
    expect(gets.some((c) => c.params.ids!.split(',').length >= 20)).toBe(true)
  })

  it('a task due sooner than the planned batch poll moves the poll earlier; the task due later waits for its own', async () => {
    const sim = simulated(2)
    const slowV2 = {
      ...fastTiming,
      recaptcha_v2: { firstPollMs: 3_000_000, pollIntervalMs: 60_000, typicalMaxMs: 3_600_000 },
    }
    const { up, client } = make(sim.handler, { timing: slowV2 })
    const slow = client.solve(KEY, v2, { timeoutMs: 7_200_000 })
    await new Promise((r) => setTimeout(r, 30)) // the key's wake-up is now planned for the slow task (3 s away)
    const t0 = Date.now()
    const fast = await client.solve(KEY, turnstile, { timeoutMs: 60_000 })
    expect(fast).toMatchObject({ status: 'solved', answer: `ANS-${fast.taskId}` })
    expect(Date.now() - t0).toBeLessThan(1_000)
    // The slow task was not polled along: its first poll is still ahead.
    const polled = up.calls
      .filter((c) => c.path === 'res.php')
      .flatMap((c) => (c.params.ids ?? c.params.id ?? '').split(','))
    expect(new Set(polled)).toEqual(new Set([fast.taskId]))
    await client.close()
    expect((await slow).status).toBe('cancelled')
  })

  it('splits batches into chunks of at most 100 ids', async () => {
    const sim = simulated(3)
    const { up, client } = make(sim.handler, { timing: fastTiming })
    const outcomes = await Promise.all(
      Array.from({ length: 250 }, () => client.solve(KEY, turnstile, { timeoutMs: 60_000 })),
    )
    expect(outcomes.every((o) => o.status === 'solved')).toBe(true)
    const sizes = up.calls.filter((c) => c.params.ids).map((c) => c.params.ids!.split(',').length)
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100)
    expect(Math.max(...sizes)).toBeGreaterThan(50)
  })

  it('falls back to single gets when a batch reply has the wrong number of pieces (an answer with "|")', async () => {
    const sim = simulated(2, (id) => (Number(id) % 2 ? `A|B-${id}` : `ANS-${id}`))
    const { up, client } = make(sim.handler, { timing: fastTiming })
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () => client.solve(KEY, turnstile, { timeoutMs: 60_000 })),
    )
    for (const o of outcomes)
      expect(o).toMatchObject({
        status: 'solved',
        answer: Number(o.taskId) % 2 ? `A|B-${o.taskId}` : `ANS-${o.taskId}`,
      })
    expect(up.calls.some((c) => c.params.ids)).toBe(true)
    expect(up.calls.some((c) => c.params.id)).toBe(true)
  })

  it('backs a refused batch off (slow-down code) instead of fanning out into single gets', async () => {
    const sim = simulated(2)
    let refusals = 2
    const { up, client } = make(
      (call) =>
        call.params.ids && refusals-- > 0
          ? { status: 0, request: 'ERROR_TOO_MUCH_REQUESTS' }
          : sim.handler(call),
      { timing: fastTiming },
    )
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () => client.solve(KEY, turnstile, { timeoutMs: 600_000 })),
    )
    expect(outcomes.every((o) => o.status === 'solved')).toBe(true)
    expect(up.calls.filter((c) => c.params.id)).toHaveLength(0)
  })

  it('probes ids= once on an upstream not known for batches: one piece per id switches the key to batches', async () => {
    const sim = simulated(2)
    const { up, client } = make(sim.handler, { profile: PROVIDER_PRESETS.captchaai, timing: fastTiming })
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, () => client.solve(KEY, turnstile, { timeoutMs: 60_000 })),
    )
    expect(outcomes.every((o) => o.status === 'solved')).toBe(true)
    const batches = up.calls.filter((c) => c.params.ids)
    expect(batches[0]!.params.ids!.split(',')).toHaveLength(2) // the probe
    expect(batches.length).toBeGreaterThan(1) // then batches
  })

  it('an upstream that refuses ids= is probed once, then polled task by task within a wire limit', async () => {
    const sim = simulated(2)
    let gets = 0
    let maxGets = 0
    const { up, client } = make(
      async (call) => {
        if (call.params.ids) return { status: 0, request: 'ERROR_WRONG_ID_FORMAT' }
        if (call.path === 'res.php') maxGets = Math.max(maxGets, ++gets)
        await new Promise((r) => setTimeout(r, 2))
        if (call.path === 'res.php') gets--
        return sim.handler(call)
      },
      {
        profile: PROVIDER_PRESETS.captchaai,
        timing: fastTiming,
        pollPolicy: { singleGetConcurrency: 3, tasksPerConnection: 1_000 },
      },
    )
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, () => client.solve(KEY, turnstile, { timeoutMs: 60_000 })),
    )
    expect(outcomes.every((o) => o.status === 'solved')).toBe(true)
    expect(up.calls.filter((c) => c.params.ids)).toHaveLength(1)
    expect(up.calls.filter((c) => c.params.id).length).toBeGreaterThanOrEqual(12)
    expect(maxGets).toBe(3)
  })

  it('the wire limit grows with the tasks in flight (one more get per tasksPerConnection tasks)', async () => {
    let gets = 0
    let maxGets = 0
    let n = 0
    const release: Array<() => void> = []
    const { client } = make(
      async (call) => {
        if (call.path === 'in.php') return { status: 1, request: String(++n) }
        if (call.params.ids) return { status: 0, request: 'ERROR_WRONG_ID_FORMAT' }
        maxGets = Math.max(maxGets, ++gets)
        await new Promise<void>((r) => release.push(r))
        gets--
        return { status: 1, request: 'ANSWER' }
      },
      {
        profile: PROVIDER_PRESETS.captchaai,
        timing: fastTiming,
        pollAdvice: 'ignore',
        pollPolicy: { singleGetConcurrency: 2, tasksPerConnection: 4 },
      },
    )
    const all = Promise.all(
      Array.from({ length: 40 }, () => client.solve(KEY, turnstile, { timeoutMs: 60_000 })),
    )
    const until = Date.now() + 5_000
    while (maxGets < 10 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 5))
    }
    expect(maxGets).toBe(10) // 40 tasks / 4 per connection, above the floor of 2
    const drain = setInterval(() => release.splice(0).forEach((r) => r()), 1)
    const outcomes = await all
    clearInterval(drain)
    expect(outcomes.every((o) => o.status === 'solved')).toBe(true)
  })

  it('returns GeeTest answers that arrive as JSON objects as JSON strings', async () => {
    const answer = { geetest_challenge: 'c', geetest_validate: 'v', geetest_seccode: 's' }
    const sim = simulated(1, () => answer)
    const { client } = make(sim.handler, { timing: fastTiming, profile: { supportsBatchGet: false } })
    const o = await client.solve(
      KEY,
      { type: 'geetest', gt: 'g', challenge: 'c', pageurl: 'https://e.com' },
      { timeoutMs: 60_000 },
    )
    expect(o.status).toBe('solved')
    expect(JSON.parse((o as { answer: string }).answer)).toEqual(answer)
  })

  it('ends a task as failed with the upstream code (unsolvable → fail_task, key gone → stop_key)', async () => {
    for (const [code, action] of [
      ['ERROR_CAPTCHA_UNSOLVABLE', 'fail_task'],
      ['ERROR_KEY_DOES_NOT_EXIST', 'stop_key'],
    ] as const) {
      const { client } = make(
        (call) =>
          call.path === 'in.php'
            ? { status: 1, request: '7' }
            : call.params.ids
              ? { status: 1, request: code }
              : { status: 0, request: code },
        { timing: fastTiming },
      )
      expect(await client.solve(KEY, turnstile, { timeoutMs: 60_000 })).toMatchObject({
        status: 'failed',
        code,
        action,
      })
      await client.close()
    }
  })

  it('a task whose polls keep failing ends timed_out at its deadline, exactly once', async () => {
    let n = 0
    const { client } = make(
      (call) => (call.path === 'in.php' ? { status: 1, request: String(++n) } : new Error('ECONNRESET')),
      { timing: fastTiming },
    )
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () => client.solve(KEY, turnstile, { timeoutMs: 30 })),
    )
    expect(outcomes.map((o) => o.status)).toEqual(Array(5).fill('timed_out'))
    expect(new Set(outcomes.map((o) => o.taskId)).size).toBe(5)
  })

  it('cancellation: outcome cancelled, the pending get aborted, the task no longer polled', async () => {
    let polls = 0
    const { up, client } = make(
      (call) => {
        if (call.path === 'in.php') return { status: 1, request: '9' }
        polls++
        return never()
      },
      { timing: fastTiming, profile: { supportsBatchGet: false } },
    )
    const ctl = new AbortController()
    const pending = client.solve(KEY, turnstile, { signal: ctl.signal, timeoutMs: 60_000 })
    while (polls === 0) await new Promise((r) => setTimeout(r, 1))
    ctl.abort()
    expect(await pending).toMatchObject({ status: 'cancelled', taskId: '9' })
    expect(up.calls.at(-1)!.signal?.aborted).toBe(true)
    await new Promise((r) => setTimeout(r, 20))
    expect(polls).toBe(1)
  })

  it('tasks that wait with one shared signal cost it one listener; its abort cancels only them, and ended ones leave', async () => {
    let n = 0
    const { client } = make(
      (call) => (call.path === 'in.php' ? { status: 1, request: String(++n) } : never()),
      { timing: fastTiming, profile: { supportsBatchGet: false } },
    )
    const shared = new AbortController()
    const { added, removed } = listenersOf(shared.signal)
    const subs = await Promise.all(Array.from({ length: 6 }, () => client.submit(KEY, turnstile)))
    const wait = (s: (typeof subs)[number], signal?: AbortSignal) =>
      client.waitForResult(KEY, { ...s, type: 'turnstile' }, { signal, timeoutMs: 60_000 })
    // Four share the signal; one has a signal of its own that aborts first; one has none.
    const own = new AbortController()
    const sharing = subs.slice(0, 4).map((s) => wait(s, shared.signal))
    const alone = wait(subs[4]!, own.signal)
    const unsignalled = wait(subs[5]!)
    expect(added).toHaveLength(1)
    own.abort()
    expect(await alone).toMatchObject({ status: 'cancelled', taskId: subs[4]!.taskId })
    expect(removed).toHaveLength(0) // the shared signal's tasks still wait
    shared.abort()
    const outcomes = await Promise.all(sharing)
    expect(outcomes.map((o) => [o.status, o.taskId])).toEqual(
      subs.slice(0, 4).map((s) => ['cancelled', s.taskId]),
    )
    // The task without a signal is not touched by either abort; it still ends (cancelled) when the client closes.
    const late = await Promise.race([unsignalled, new Promise((r) => setTimeout(() => r('waiting'), 20))])
    expect(late).toBe('waiting')
    // A task that ends by itself takes itself off its signal, and the last one takes the listener away.
    const again = new AbortController()
    const { added: added2, removed: removed2 } = listenersOf(again.signal)
    const [s1, s2] = await Promise.all([client.submit(KEY, turnstile), client.submit(KEY, turnstile)])
    const short = (s: typeof s1) =>
      client.waitForResult(KEY, { ...s, type: 'turnstile' }, { signal: again.signal, timeoutMs: 10 })
    expect((await Promise.all([short(s1!), short(s2!)])).map((o) => o.status)).toEqual([
      'timed_out',
      'timed_out',
    ])
    expect(added2).toHaveLength(1)
    expect(removed2).toEqual(added2)
    await client.close()
    expect(await unsignalled).toMatchObject({ status: 'cancelled', taskId: subs[5]!.taskId })
  })

  it('close() ends every waiting task as cancelled exactly once and refuses new work', async () => {
    let n = 0
    const { client } = make(
      (call) => (call.path === 'in.php' ? { status: 1, request: String(++n) } : never()),
      {
        timing: fastTiming,
      },
    )
    const subs = await Promise.all(Array.from({ length: 10 }, () => client.submit(KEY, turnstile)))
    const resolved: TaskOutcome[] = []
    const waits = subs.map((s) =>
      client.waitForResult(KEY, { ...s, type: 'turnstile' }, { timeoutMs: 60_000 }).then((o) => {
        resolved.push(o)
        return o
      }),
    )
    await new Promise((r) => setTimeout(r, 5))
    await client.close()
    await Promise.all(waits)
    expect(resolved.map((o) => o.status)).toEqual(Array(10).fill('cancelled'))
    expect(new Set(resolved.map((o) => o.taskId)).size).toBe(10)
    expect(await client.waitForResult(KEY, { ...subs[0]!, type: 'turnstile' })).toMatchObject({
      status: 'cancelled',
    })
    expect(await client.submit(KEY, turnstile).catch((e: ProviderError) => e.code)).toBe('CANCELLED')
  })

  it('a pingback that beats our in.php reply is held and applied once the task is ours', async () => {
    let release: (r: FakeReply) => void = () => {}
    const { up, client } = make((call) =>
      call.path === 'in.php' ? new Promise<FakeReply>((r) => (release = r)) : never(),
    )
    const pending = client.solve(KEY, turnstile, {
      pingbackUrl: 'https://desk.example/pb',
      timeoutMs: 60_000,
    })
    while (up.calls.length === 0) await new Promise((r) => setTimeout(r, 1))
    expect(client.acceptPingback('321', 'EARLY-TOKEN')).toBe(false)
    expect(client.acceptPingback('322', 'NOT-OURS')).toBe(false)
    release({ status: 1, request: '321' })
    expect(await pending).toMatchObject({ status: 'solved', taskId: '321', answer: 'EARLY-TOKEN' })
  })

  it('close() lets an in.php call on the wire finish: its id reaches onSubmitted and ends cancelled', async () => {
    let release: (r: FakeReply) => void = () => {}
    const { client } = make(() => new Promise<FakeReply>((r) => (release = r)))
    const seen: string[] = []
    const pending = client.solve(KEY, turnstile, { onSubmitted: (s) => void seen.push(s.taskId) })
    await new Promise((r) => setTimeout(r, 5))
    const closed = client.close()
    release({ status: 1, request: '77' })
    await closed
    expect(await pending).toMatchObject({ status: 'cancelled', taskId: '77' })
    expect(seen).toEqual(['77'])
  })

  it('pingback: resolves our task at once; error codes fail it; unknown ids and not-ready codes are refused', async () => {
    const { up, client } = make(
      (call) => (call.path === 'in.php' ? { status: 1, request: String(500 + up.calls.length) } : never()),
      { timing: fastTiming },
    )
    const ids: string[] = []
    const a = client.solve(KEY, v2, {
      pingbackUrl: 'https://desk.example/pb',
      timeoutMs: 60_000,
      onSubmitted: (s) => void ids.push(s.taskId),
    })
    const b = client.solve(KEY, v2, {
      pingbackUrl: 'https://desk.example/pb',
      timeoutMs: 60_000,
      onSubmitted: (s) => void ids.push(s.taskId),
    })
    while (ids.length < 2) await new Promise((r) => setTimeout(r, 1))
    expect(client.acceptPingback('999999', 'TOKEN')).toBe(false)
    expect(client.acceptPingback(ids[0]!, 'CAPCHA_NOT_READY')).toBe(false)
    expect(client.acceptPingback(ids[0]!, 'TOKEN-A')).toBe(true)
    expect(client.acceptPingback(ids[0]!, 'TOKEN-AGAIN')).toBe(false)
    expect(client.acceptPingback(ids[1]!, 'ERROR_CAPTCHA_UNSOLVABLE')).toBe(true)
    expect(await a).toMatchObject({ status: 'solved', answer: 'TOKEN-A' })
    expect(await b).toMatchObject({ status: 'failed', code: 'ERROR_CAPTCHA_UNSOLVABLE', action: 'fail_task' })
    expect(up.calls.filter((c) => c.path === 'res.php')).toHaveLength(0)
  })
})

describe('balance, checkTask, report', () => {
  it('reads balances exactly into micros', async () => {
    for (const [text, micros] of [
      ['12.345', 12_345_000],
      ['0.1', 100_000],
      ['10', 10_000_000],
      ['9007199254.740991', 9_007_199_254_740_991],
      ['0.0000019', 1],
    ] as const) {
      const { client } = make(() => ({ status: 1, request: text }))
      expect(await client.getBalance(KEY)).toBe(micros)
      await client.close()
    }
    for (const text of ['$10', '1e3', '99999999999999.5', '']) {
      const { client } = make(() => ({ status: 1, request: text }))
      expect(await client.getBalance(KEY).catch((e: ProviderError) => e.code)).toBe('BAD_REPLY')
      await client.close()
    }
  })

  it('checkTask reports ready / not ready / a task error, and throws for key or transport trouble', async () => {
    const replies: FakeReply[] = [
      { status: 1, request: 'TOKEN' },
      { status: 0, request: 'CAPCHA_NOT_READY' },
      { status: 0, request: 'ERROR_CAPTCHA_UNSOLVABLE' },
      { status: 0, request: 'ERROR_KEY_DOES_NOT_EXIST' },
      new Response('oops', { status: 500 }),
    ]
    const { client } = make(() => replies.shift()!)
    expect(await client.checkTask(KEY, '1')).toEqual({ ready: true, answer: 'TOKEN' })
    expect(await client.checkTask(KEY, '1')).toEqual({ ready: false })
    expect(await client.checkTask(KEY, '1')).toEqual({ ready: true, error: 'ERROR_CAPTCHA_UNSOLVABLE' })
    expect(await client.checkTask(KEY, '1').catch((e: ProviderError) => e.action)).toBe('stop_key')
    expect(await client.checkTask(KEY, '1').catch((e: ProviderError) => e.action)).toBe('retry')
    expect(await client.checkTask(KEY, 'abc').catch((e: ProviderError) => e.code)).toBe(
      'ERROR_WRONG_ID_FORMAT',
    )
  })

  it('reports good/bad answers; a duplicate report is not an error', async () => {
    const replies: FakeReply[] = [
      { status: 1, request: 'OK_REPORT_RECORDED' },
      { status: 0, request: 'ERROR_DUPLICATE_REPORT' },
    ]
    const { up, client } = make(() => replies.shift()!)
    await client.report(KEY, '1', 'bad')
    await client.report(KEY, '1', 'bad')
    expect(up.calls.map((c) => c.params.action)).toEqual(['reportbad', 'reportbad'])
  })
})
