/**
 * The solve service against doubles: typed refusals that change nothing, one settle and one release on every exit
 * path (including thrown errors), billing only solves, the bounded fair wait, and start-up recovery.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { CaptchaRequest } from '@shared/captcha'
import type { Tenant } from '@shared/tenant'
import { createAdmissionController, type AdmissionStore } from '../../../electron/engine/admission'
import { createSolveService, type SolveResult } from '../../../electron/engine/solve'
import { tenantFixture } from '../../support/tenant-fixture'
import { MemoryLedger, ScriptedProvider, flatPricing, staticKeys, type FailPoint, type Script } from './fakes'

const v3: CaptchaRequest = { type: 'recaptcha_v3', googlekey: 'k', pageurl: 'https://example.com' }
const T0 = Date.UTC(2026, 5, 15, 12)

function setup(
  tenants: Tenant[],
  opts: { sharedThreads?: number; queueWaitMs?: number; loader?: boolean } = {},
) {
  let clock = T0
  const now = (): number => clock
  const ledger = new MemoryLedger()
  const admission = createAdmissionController({
    sharedThreads: opts.sharedThreads,
    loader: opts.loader ? ledger.loader() : undefined,
  })
  const provider = new ScriptedProvider(now)
  const byId = new Map(tenants.map((t) => [t.id, t]))
  const refused: Array<{ tenantId: string; code: string }> = []
  const solver = createSolveService({
    tenants: { get: (id) => byId.get(id) },
    ledger,
    admission,
    keys: staticKeys,
    provider,
    pricing: flatPricing,
    now,
    queueWaitMs: opts.queueWaitMs,
    recovery: { retryDelayMs: 1 },
    refusals: { count: (tenantId, code) => void refused.push({ tenantId, code }) },
  })
  return {
    refused,
    ledger,
    admission,
    provider,
    solver,
    byId,
    tick: (ms: number) => (clock += ms),
    now,
  }
}

function baseline(admission: AdmissionStore, t: Tenant, now: number) {
  const s = admission.snapshot(t, now)
  return {
    inFlight: s.inFlight,
    counted: s.today.counted,
    reserved: s.month.reservedMicros,
    shared: s.sharedThreads,
  }
}

describe('solve service: refusals', () => {
  it('unknown, deleted, suspended tenants and invalid requests: typed, no reservation, no upstream call', async () => {
    const active = tenantFixture('a', {
      limits: { maxConcurrent: 1, solvesPerDay: 5, monthlyBudgetMicros: 10_000 },
    })
    const suspended = tenantFixture('s', { status: 'suspended' })
    const deleted = tenantFixture('d', { status: 'deleted' })
    const ownNoKey = tenantFixture('o', { keyMode: 'own' })
    const fx = setup([active, suspended, deleted, ownNoKey], { sharedThreads: 1 })
    const before = baseline(fx.admission, active, T0)
    const cases: Array<[string, unknown, string]> = [
      ['nobody', v3, 'unknown_tenant'],
      ['d', v3, 'unknown_tenant'],
      ['s', v3, 'suspended'],
      ['a', { type: 'recaptcha_v3', googlekey: '', pageurl: 'nope' }, 'invalid_request'],
      ['a', { type: 'not_a_type' }, 'invalid_request'],
      ['a', null, 'invalid_request'],
      ['o', v3, 'no_key'],
    ]
    for (const [id, req, limit] of cases) {
      const r = await fx.solver.solve(id, req as CaptchaRequest, { source: 'api' })
      expect(r).toMatchObject({ status: 'rejected', limit, retryAfterMs: 0 })
      if (r.status === 'rejected') expect(r.message.length).toBeGreaterThan(10)
    }
    expect(fx.provider.submitted).toBe(0)
    expect(fx.admission.openReservations()).toBe(0)
    expect(baseline(fx.admission, active, T0)).toEqual(before)
    expect(fx.admission.sharedUsage().used).toBe(0)
    // Refusals of known tenants are counted by code (never journaled, never billed); an unknown id is not counted.
    expect(fx.refused.map((r) => r.tenantId).sort()).toEqual(['a', 'a', 'a', 'd', 'o', 's'])
    expect(fx.refused.find((r) => r.tenantId === 's')?.code).toBe('LIMIT_SUSPENDED')
    expect(fx.ledger.rows.size).toBe(0)
  })

  it('limit refusals name the limit and when to retry', async () => {
    const t = tenantFixture('r', {
      timezone: 'Europe/Berlin',
      limits: { requestsPerMinute: 1, solvesPerDay: 1 },
    })
    const fx = setup([t])
    expect((await fx.solver.solve('r', v3, { source: 'api' })).status).toBe('solved')
    const rate = await fx.solver.solve('r', v3, { source: 'api' })
    expect(rate).toMatchObject({ status: 'rejected', limit: 'rate' })
    fx.tick(60_000)
    const daily = await fx.solver.solve('r', v3, { source: 'api' })
    // 12:01 UTC in June is 14:01 in Berlin: 9 h 59 min to local midnight
    expect(daily).toMatchObject({ status: 'rejected', limit: 'daily', retryAfterMs: (9 * 60 + 59) * 60_000 })
  })
})

describe('solve service: every exit path settles once and releases once', () => {
  const outcomes: Array<[Script, SolveResult['status']]> = [
    [{ kind: 'solved' }, 'solved'],
    [{ kind: 'failed' }, 'failed'],
    [{ kind: 'failed', code: 'ERROR_KEY_DOES_NOT_EXIST', action: 'stop_key' }, 'failed'],
    [{ kind: 'timed_out' }, 'timed_out'],
    [{ kind: 'cancelled' }, 'cancelled'],
    [{ kind: 'submit_error' }, 'failed'],
    [{ kind: 'submit_error', code: 'CANCELLED', action: 'fail_task' }, 'cancelled'],
    [{ kind: 'throw' }, 'failed'],
  ]
  for (const [script, status] of outcomes) {
    it(`${script.kind}${'code' in script && script.code ? ` ${script.code}` : ''} → ${status}`, async () => {
      const t = tenantFixture('t', {
        limits: { maxConcurrent: 1, solvesPerDay: 10, monthlyBudgetMicros: 100_000 },
      })
      const fx = setup([t], { sharedThreads: 2 })
      fx.provider.scripts.push(script)
      const r = await fx.solver.solve('t', v3, { source: 'api' })
      expect(r.status).toBe(status)
      const row = fx.ledger.get(r.attemptId)!
      expect(row.status).toBe(status)
      expect(row.priceMicros).toBe(status === 'solved' ? 1_500 : 0)
      const s = fx.admission.snapshot(t, fx.now())
      expect(s.inFlight).toBe(0)
      expect(s.sharedThreads).toBe(0)
      expect(s.month).toMatchObject({ reservedMicros: 0, spentMicros: status === 'solved' ? 1_500 : 0 })
      expect(s.today.counted).toBe(status === 'solved' ? 1 : 0)
      expect(fx.admission.openReservations()).toBe(0)
      expect(fx.solver.inFlight()).toBe(0)
      if (r.status === 'failed') expect(r.keyProblem).toBe('action' in script && script.action === 'stop_key')
    })
  }

  for (const point of ['begin', 'markSubmitted', 'settle'] as FailPoint[]) {
    it(`a ledger failure in ${point} ends as a typed failure, unbilled, with the reservation released`, async () => {
      const t = tenantFixture('t', { limits: { maxConcurrent: 1 } })
      const fx = setup([t], { sharedThreads: 1 })
      fx.ledger.failOnce.add(point)
      const r = await fx.solver.solve('t', v3, { source: 'api' })
      expect(r).toMatchObject({ status: 'failed', code: 'INTERNAL_ERROR' })
      if (point === 'markSubmitted') expect(r).toMatchObject({ taskId: expect.any(String) })
      expect(fx.admission.openReservations()).toBe(0)
      expect(fx.admission.sharedUsage().used).toBe(0)
      expect(fx.ledger.byStatus('solved')).toHaveLength(0)
      // the slot is free again
      expect((await fx.solver.solve('t', v3, { source: 'api' })).status).toBe('solved')
    })
  }

  it('a throwing progress listener cannot break a solve', async () => {
    const fx = setup([tenantFixture('t')])
    const r = await fx.solver.solve('t', v3, {
      source: 'console',
      onProgress: () => {
        throw new Error('listener bug')
      },
    })
    expect(r.status).toBe('solved')
  })

  it('onAccepted hears the task id while it is being recorded, then submitted follows; a throwing listener changes nothing', async () => {
    const fx = setup([tenantFixture('t')])
    const events: string[] = []
    const r = await fx.solver.solve('t', v3, {
      source: 'console',
      onAccepted: ({ attemptId, taskId }) => {
        events.push(`accepted:${taskId}:${attemptId === fx.ledger.recent('t', 1)[0]?.attemptId}`)
        throw new Error('listener bug')
      },
      onProgress: (e) => e.stage === 'submitted' && events.push(`submitted:${e.taskId}`),
    })
    expect(r.status).toBe('solved')
    const id = r.status === 'solved' ? r.taskId : ''
    expect(events).toEqual([`accepted:${id}:true`, `submitted:${id}`])
  })

  it('onAccepted answering false stops the solve before it waits: cancelled, unbilled, never "submitted"', async () => {
    const fx = setup([tenantFixture('t')])
    fx.provider.scripts.push({ kind: 'hold' }) // would wait for ever
    const stages: string[] = []
    const r = await fx.solver.solve('t', v3, {
      source: 'gateway',
      onAccepted: () => Promise.resolve(false),
      onProgress: (e) => stages.push(e.stage),
    })
    expect(r).toMatchObject({ status: 'cancelled', code: 'CANCELLED' })
    expect(stages).toEqual(['admitted', 'ended'])
    const row = fx.ledger.get(r.attemptId)
    expect(row).toMatchObject({ status: 'cancelled', priceMicros: 0 })
    expect(row!.upstreamTaskId).not.toBeNull()
    expect(fx.solver.inFlight()).toBe(0)
    // true, or a listener's rejected promise, lets the solve go on.
    for (const onAccepted of [() => Promise.resolve(true), () => Promise.reject(new Error('listener bug'))])
      expect((await fx.solver.solve('t', v3, { source: 'gateway', onAccepted })).status).toBe('solved')
    // Recording the id fails first (a clash): the listener's rejected answer is not left unhandled.
    const unhandled: unknown[] = []
    const onUnhandled = (e: unknown): number => unhandled.push(e)
    process.on('unhandledRejection', onUnhandled)
    try {
      ;(fx.provider as unknown as { nextTask: number }).nextTask -= 1
      const clash = await fx.solver.solve('t', v3, {
        source: 'gateway',
        onAccepted: () => Promise.reject(new Error('listener bug')),
      })
      expect(clash).toMatchObject({ status: 'failed', code: 'UPSTREAM_ID_COLLISION' })
      await new Promise((r) => setTimeout(r, 10))
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  it('onAccepted answering false while a shutdown runs still ends the solve cancelled, not left open for the next start', async () => {
    const fx = setup([tenantFixture('t')])
    fx.provider.scripts.push({ kind: 'hold' })
    let answer!: (keep: boolean) => void
    let accepted!: () => void
    const seen = new Promise<void>((r) => (accepted = r))
    const pending = fx.solver.solve('t', v3, {
      source: 'gateway',
      onAccepted: () => {
        accepted()
        return new Promise<boolean>((r) => (answer = r))
      },
    })
    await seen
    const stopping = fx.solver.shutdown(0) // aborts the solve service's signal at once, then waits for the solve
    answer(false)
    const r = await pending
    await stopping
    expect(r).toMatchObject({ status: 'cancelled', code: 'CANCELLED' })
    expect(fx.ledger.get(r.attemptId)).toMatchObject({ status: 'cancelled', priceMicros: 0 })
  })

  it('an upstream task id the ledger already holds fails the solve unbilled, and nobody is told it', async () => {
    const fx = setup([tenantFixture('t')])
    const first = await fx.solver.solve('t', v3, { source: 'gateway' })
    expect(first.status).toBe('solved')
    // The upstream hands out the same id again.
    ;(fx.provider as unknown as { nextTask: number }).nextTask -= 1
    const stages: string[] = []
    const second = await fx.solver.solve('t', v3, {
      source: 'gateway',
      onProgress: (e) => stages.push(e.stage),
    })
    expect(second).toMatchObject({ status: 'failed', code: 'UPSTREAM_ID_COLLISION' })
    expect(stages).toEqual(['admitted', 'ended'])
    expect(fx.ledger.get(second.attemptId)).toMatchObject({
      status: 'failed',
      upstreamTaskId: null,
      priceMicros: 0,
    })
  })

  it('a caller’s abort cancels its solve alone; shutdown stops every waiting solve and leaves it open for the next start', async () => {
    const fx = setup([tenantFixture('t')])
    fx.provider.scripts.push({ kind: 'hold' }, { kind: 'hold' }, { kind: 'hold' }, { kind: 'hold' })
    const mine = new AbortController()
    const other = new AbortController()
    const aborted = fx.solver.solve('t', v3, { source: 'gateway', signal: mine.signal })
    const withSignal = fx.solver.solve('t', v3, { source: 'gateway', signal: other.signal })
    const withoutSignal = fx.solver.solve('t', v3, { source: 'console' })
    while (fx.provider.holding() < 3) await new Promise((r) => setTimeout(r, 1))
    mine.abort()
    expect(await aborted).toMatchObject({ status: 'cancelled', code: 'CANCELLED' })
    expect(fx.ledger.get((await aborted).attemptId)?.status).toBe('cancelled')
    expect(fx.solver.inFlight('t')).toBe(2) // the others still wait
    // A caller's signal that was already aborted ends its solve at once, unbilled.
    const late = new AbortController()
    late.abort()
    const early = await fx.solver.solve('t', v3, { source: 'gateway', signal: late.signal })
    expect(early.status).toBe('cancelled')
    expect(fx.ledger.get(early.attemptId)?.priceMicros ?? 0).toBe(0)
    await fx.solver.shutdown(0)
    for (const r of [await withSignal, await withoutSignal]) {
      expect(r).toMatchObject({ status: 'cancelled', code: 'SHUTDOWN' })
      expect(fx.ledger.get(r.attemptId)?.status).toBe('submitted') // open: the next start settles it
    }
  })

  it('progress: admitted, submitted with the task id, ended', async () => {
    const fx = setup([tenantFixture('t')])
    const events: string[] = []
    const r = await fx.solver.solve('t', v3, {
      source: 'console',
      onProgress: (e) => events.push(e.stage === 'submitted' ? `submitted:${e.taskId}` : e.stage),
    })
    expect(r.status).toBe('solved')
    expect(events).toEqual(['admitted', `submitted:${r.status === 'solved' ? r.taskId : ''}`, 'ended'])
  })

  it('property: random concurrent mixes of outcomes never bill a non-solve and never leak', async () => {
    const scripts: fc.Arbitrary<Script> = fc.constantFrom<Script>(
      { kind: 'solved' },
      { kind: 'failed' },
      { kind: 'timed_out' },
      { kind: 'cancelled' },
      { kind: 'submit_error' },
      { kind: 'throw' },
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ tenant: fc.nat(2), script: scripts }), { minLength: 1, maxLength: 60 }),
        fc.constantFrom<FailPoint | undefined>(undefined, 'begin', 'markSubmitted', 'settle'),
        async (jobs, fail) => {
          const ts = [0, 1, 2].map((i) =>
            tenantFixture(`t${i}`, {
              keyMode: i === 2 ? 'own' : 'shared',
              notes: 'has-key',
              limits: { maxConcurrent: 5, solvesPerDay: 30, monthlyBudgetMicros: 20_000 },
            }),
          )
          const fx = setup(ts, { sharedThreads: 6 })
          if (fail) fx.ledger.failOnce.add(fail)
          fx.provider.scripts.push(...jobs.map((j) => j.script))
          const results = await Promise.all(
            jobs.map((j) => fx.solver.solve(`t${j.tenant}`, v3, { source: 'api' })),
          )
          expect(fx.admission.openReservations()).toBe(0)
          expect(fx.admission.sharedUsage().used).toBe(0)
          // A failed settle leaves its row open for the next start-up (the reservation is released regardless).
          expect(fx.ledger.openAttempts().length).toBeLessThanOrEqual(fail === 'settle' ? 1 : 0)
          const solved = results.filter((r) => r.status === 'solved')
          const billed = [...fx.ledger.rows.values()].filter((r) => r.priceMicros > 0)
          expect(billed.map((r) => r.attemptId).sort()).toEqual(solved.map((r) => r.attemptId).sort())
          for (const t of ts) {
            const s = fx.admission.snapshot(t, fx.now())
            const mine = solved.filter((r) => fx.ledger.get(r.attemptId)!.tenantId === t.id).length
            expect(s).toMatchObject({ inFlight: 0, sharedThreads: 0 })
            expect(s.today.counted).toBe(mine)
            expect(s.month).toEqual({ month: '2026-06', spentMicros: mine * 1_500, reservedMicros: 0 })
            expect(mine).toBeLessThanOrEqual(13) // 20,000 budget / 1,500
          }
          await fx.solver.recoverOpenAttempts()
          expect(fx.ledger.openAttempts()).toHaveLength(0)
          expect(fx.admission.openReservations()).toBe(0)
          expect(fx.admission.sharedUsage().used).toBe(0)
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('solve service: bounded wait for a free slot', () => {
  it('waits for the tenant’s own slot and is admitted when it frees; default 0 refuses at once', async () => {
    const t = tenantFixture('t', { limits: { maxConcurrent: 1 } })
    const fx = setup([t])
    fx.provider.scripts.push({ kind: 'hold' })
    const first = fx.solver.solve('t', v3, { source: 'console' })
    await new Promise((r) => setTimeout(r, 5))
    expect(await fx.solver.solve('t', v3, { source: 'api' })).toMatchObject({ limit: 'concurrency' })
    const second = fx.solver.solve('t', v3, { source: 'console', queueWaitMs: 5_000 })
    await new Promise((r) => setTimeout(r, 5))
    expect(fx.solver.waiting()).toBe(1)
    fx.provider.releaseHeld()
    expect((await first).status).toBe('solved')
    expect((await second).status).toBe('solved')
    expect(fx.solver.waiting()).toBe(0)
  })

  it('gives up after the wait with the capacity refusal, and a cancelled wait ends cancelled', async () => {
    const t = tenantFixture('t', { limits: { maxConcurrent: 1 } })
    const fx = setup([t])
    fx.provider.scripts.push({ kind: 'hold' })
    const first = fx.solver.solve('t', v3, { source: 'console' })
    await new Promise((r) => setTimeout(r, 5))
    expect(await fx.solver.solve('t', v3, { source: 'console', queueWaitMs: 20 })).toMatchObject({
      status: 'rejected',
      limit: 'concurrency',
    })
    const ctl = new AbortController()
    const waiting = fx.solver.solve('t', v3, { source: 'console', queueWaitMs: 5_000, signal: ctl.signal })
    await new Promise((r) => setTimeout(r, 5))
    ctl.abort()
    expect(await waiting).toMatchObject({ status: 'cancelled', taskId: null })
    expect(fx.solver.waiting()).toBe(0)
    fx.provider.releaseHeld()
    await first
    expect(fx.admission.openReservations()).toBe(0)
  })

  it('freed shared threads go to waiting tenants by weight, not by who queued most', async () => {
    const heavy = tenantFixture('heavy', { shareWeight: 1 })
    const light = tenantFixture('light', { shareWeight: 1 })
    const fx = setup([heavy, light], { sharedThreads: 2 })
    fx.provider.fallback = { kind: 'hold' }
    const all: Array<Promise<SolveResult>> = []
    const order: string[] = []
    const go = (id: string) =>
      all.push(
        fx.solver
          .solve(id, v3, {
            source: 'console',
            queueWaitMs: 60_000,
            onProgress: (e) => e.stage === 'admitted' && order.push(id),
          })
          .then((r) => r),
      )
    for (let i = 0; i < 12; i++) go('heavy') // heavy fills both threads and queues 10 more
    await new Promise((r) => setTimeout(r, 5))
    for (let i = 0; i < 4; i++) go('light')
    await new Promise((r) => setTimeout(r, 5))
    expect(order).toEqual(['heavy', 'heavy'])
    for (let round = 0; round < 20 && fx.provider.holding() > 0; round++) {
      fx.provider.releaseHeld(1)
      await new Promise((r) => setTimeout(r, 2))
    }
    await Promise.all(all)
    // After heavy's first two, the light tenant's four are not stuck behind heavy's ten.
    const firstLight = order.indexOf('light')
    expect(firstLight).toBe(2)
    expect(order.slice(2, 10).filter((x) => x === 'light').length).toBe(4)
    expect(fx.admission.openReservations()).toBe(0)
  })
})

describe('solve service: start-up recovery', () => {
  async function crashLeftovers(fx: ReturnType<typeof setup>, t: Tenant) {
    // What an earlier process left: two pending (no task id), four submitted with different upstream answers.
    const mk = async (id: string, taskId?: string) => {
      await fx.ledger.begin({
        attemptId: id,
        tenantId: t.id,
        captchaType: 'recaptcha_v3',
        providerAccount: 'fake:shared',
        source: 'api',
        createdAt: fx.now() - 1_000,
        reservedMicros: 1_500,
      })
      if (taskId) await fx.ledger.markSubmitted(id, taskId, fx.now() - 900)
    }
    await mk('p1')
    await mk('p2')
    await mk('s-solved', '1')
    await mk('s-error', '2')
    await mk('s-waiting', '3')
    await mk('s-unreachable', '4')
    fx.provider.checks.set('1', 'solved')
    fx.provider.checks.set('2', 'error')
    fx.provider.checks.set('3', 'not_ready')
    fx.provider.checks.set('4', 'throw')
  }

  it('settles every kind of leftover once, bills only upstream solves, and releases what they held', async () => {
    const t = tenantFixture('t', { limits: { solvesPerDay: 100, monthlyBudgetMicros: 1_000_000 } })
    const fx = setup([t], { sharedThreads: 10, loader: true })
    await crashLeftovers(fx, t)
    // A dashboard looked before recovery: the open ones count (held) until they settle.
    expect(fx.admission.snapshot(t, fx.now())).toMatchObject({
      today: { counted: 6 },
      month: { reservedMicros: 9_000, spentMicros: 0 },
    })
    const report = await fx.solver.recoverOpenAttempts()
    expect(report).toEqual({ solved: 1, failed: 1, expired: 1, stillRunning: 1, unconfirmed: 2 })
    await fx.solver.drain()
    expect(fx.ledger.get('p1')).toMatchObject({
      status: 'expired',
      errorCode: 'SUBMIT_UNCONFIRMED',
      priceMicros: 0,
    })
    expect(fx.ledger.get('s-solved')).toMatchObject({ status: 'solved', priceMicros: 1_500 })
    expect(fx.ledger.get('s-error')).toMatchObject({ status: 'failed', priceMicros: 0 })
    expect(fx.ledger.get('s-waiting')).toMatchObject({ status: 'solved', priceMicros: 1_500 })
    expect(fx.ledger.get('s-unreachable')).toMatchObject({
      status: 'expired',
      errorCode: 'UNKNOWN_AFTER_RESTART',
    })
    expect(fx.ledger.openAttempts()).toHaveLength(0)
    // Nothing leaked: two solves count for the day and the month; nothing is held or in flight.
    expect(fx.admission.openReservations()).toBe(0)
    expect(fx.admission.snapshot(t, fx.now())).toMatchObject({
      inFlight: 0,
      sharedThreads: 0,
      today: { counted: 2 },
      month: { reservedMicros: 0, spentMicros: 3_000 },
    })
    // And a fresh controller over the same ledger agrees.
    const fresh = createAdmissionController({ loader: fx.ledger.loader() }).snapshot(t, fx.now())
    expect(fresh).toMatchObject({ today: { counted: 2 }, month: { reservedMicros: 0, spentMicros: 3_000 } })
    // Running recovery again changes nothing.
    expect(await fx.solver.recoverOpenAttempts()).toEqual({
      solved: 0,
      failed: 0,
      expired: 0,
      stillRunning: 0,
      unconfirmed: 0,
    })
  })

  it('an operator’s test solve cut off by the crash is not billed, even when the upstream solved it', async () => {
    const t = tenantFixture('t')
    const fx = setup([t])
    await fx.ledger.begin({
      attemptId: 'c1',
      tenantId: t.id,
      captchaType: 'recaptcha_v3',
      providerAccount: 'fake:shared',
      source: 'console',
      createdAt: fx.now() - 1_000,
      reservedMicros: 1_500,
    })
    await fx.ledger.markSubmitted('c1', '11', fx.now() - 900)
    fx.provider.checks.set('11', 'solved')
    expect(await fx.solver.recoverOpenAttempts()).toMatchObject({ solved: 0, unconfirmed: 1 })
    expect(fx.ledger.get('c1')).toMatchObject({
      status: 'expired',
      errorCode: 'NOT_ANNOUNCED',
      priceMicros: 0,
    })
    expect(fx.admission.openReservations()).toBe(0)
  })

  it('while recovery waits in the background, the adopted thread stays held; without a loader, counts still return', async () => {
    const t = tenantFixture('t', { limits: { maxConcurrent: 1 } })
    const fx = setup([t], { sharedThreads: 1 })
    await crashLeftovers(fx, t)
    fx.provider.checks.clear()
    for (const id of ['1', '2', '4']) fx.provider.checks.set(id, 'error')
    fx.provider.checks.set('3', 'not_ready')
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const wait = fx.provider.waitForResult.bind(fx.provider)
    fx.provider.waitForResult = async (...args) => {
      await gate
      return wait(...args)
    }
    const report = await fx.solver.recoverOpenAttempts()
    expect(report.stillRunning).toBe(1)
    expect(fx.solver.inFlight('t')).toBe(1)
    expect(await fx.solver.solve('t', v3, { source: 'api' })).toMatchObject({ limit: 'concurrency' })
    release()
    await fx.solver.drain()
    expect(fx.solver.inFlight()).toBe(0)
    expect(fx.admission.openReservations()).toBe(0)
    expect(fx.admission.snapshot(t, fx.now())).toMatchObject({
      inFlight: 0,
      sharedThreads: 0,
      today: { counted: 1 },
      month: { reservedMicros: 0, spentMicros: 1_500 },
    })
    expect((await fx.solver.solve('t', v3, { source: 'api' })).status).toBe('solved')
  })

  it('does not touch attempts this process is running', async () => {
    const fx = setup([tenantFixture('t')])
    fx.provider.scripts.push({ kind: 'hold' })
    const running = fx.solver.solve('t', v3, { source: 'api' })
    await new Promise((r) => setTimeout(r, 5))
    expect(fx.ledger.openAttempts()).toHaveLength(1)
    expect(await fx.solver.recoverOpenAttempts()).toMatchObject({ unconfirmed: 0, solved: 0, expired: 0 })
    fx.provider.releaseHeld()
    expect((await running).status).toBe('solved')
  })
})

describe('solve service: the task id is written before anyone is told the task exists', () => {
  it('is committed (another connection sees it) when the submitted event fires, and the fsync mode stays as it was', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const { openDatabase } = await import('../../../electron/engine/db/database')
    const { openSqliteLedger } = await import('../../../electron/engine/ledger/sqlite-ledger')
    const dir = mkdtempSync(join(tmpdir(), 'captchadesk-solve-'))
    const db = openDatabase(join(dir, 'engine.db'))
    const ledger = openSqliteLedger(db)
    const provider = new ScriptedProvider()
    const seen: Array<string | undefined> = []
    const t = tenantFixture('t')
    const solver = createSolveService({
      tenants: { get: (id) => (id === 't' ? t : undefined) },
      ledger,
      admission: createAdmissionController(),
      keys: staticKeys,
      provider,
      pricing: flatPricing,
    })
    const r = await solver.solve('t', v3, {
      source: 'api',
      onProgress: (e) => {
        if (e.stage !== 'submitted') return
        // The gateway answers in.php on this event: read back synchronously, in a separate connection.
        const other = openDatabase(join(dir, 'engine.db'))
        const row = other.prepare('SELECT status, upstream_task_id AS id FROM attempts').get() as
          { status: string; id: string } | undefined
        seen.push(row && `${row.status}:${row.id}`)
        other.close()
      },
    })
    expect(r.status).toBe('solved')
    expect(seen).toEqual([`submitted:${r.status === 'solved' ? r.taskId : ''}`])
    expect(db.prepare('PRAGMA synchronous').get()).toEqual({ synchronous: 2 }) // FULL, as the ledger set it
    await ledger.close()
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })
})
