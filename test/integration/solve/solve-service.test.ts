import { ledgerUsageLoader } from '../../../electron/engine/admission'
import { afterEach, describe, expect, it } from 'vitest'
import type { CaptchaRequest } from '@shared/captcha'
import { SANDBOX_DEMO_KEY } from '../../../electron/engine/sandbox'
import { engineFixture } from '../../support/engine-fixture'

type Fixture = Awaited<ReturnType<typeof engineFixture>>
let fx: Fixture | undefined
afterEach(async () => {
  await fx?.close()
  fx = undefined
})

const turnstile: CaptchaRequest = { type: 'turnstile', sitekey: 's', pageurl: 'https://example.com' }
const v3: CaptchaRequest = { type: 'recaptcha_v3', googlekey: 'k', pageurl: 'https://example.com' }

function billed(fx: Fixture) {
  return fx.db
    .prepare('SELECT COUNT(*) AS n, COALESCE(SUM(price_micros),0) AS p FROM attempts WHERE price_micros > 0')
    .get() as { n: number; p: number }
}

describe('solve service', () => {
  it('solves, records the task once and bills the tenant’s price', async () => {
    fx = await engineFixture()
    const t = fx.addTenant({ pricePlan: { kind: 'markup', markupBps: 5_000 } })
    const events: string[] = []
    const r = await fx.solver.solve(t.id, turnstile, {
      source: 'console',
      onProgress: (e) => events.push(e.stage),
    })
    expect(r.status).toBe('solved')
    if (r.status !== 'solved') return
    expect(r.answer).toBe(fx.sandbox.task(r.taskId)?.answer)
    expect(events).toEqual(['admitted', 'submitted', 'ended'])
    const row = fx.ledger.get(r.attemptId)!
    expect(row).toMatchObject({
      status: 'solved',
      upstreamTaskId: r.taskId,
      costMicros: 2_000,
      priceMicros: 3_000,
    })
    expect(fx.admission.openReservations()).toBe(0)
  })

  it('refuses unknown, suspended and deleted tenants and invalid requests, with no reservation', async () => {
    fx = await engineFixture()
    const t = fx.addTenant()
    expect(await fx.solver.solve('t_nope', turnstile, { source: 'api' })).toMatchObject({
      status: 'rejected',
      limit: 'unknown_tenant',
    })
    expect(
      await fx.solver.solve(t.id, { type: 'turnstile', sitekey: '', pageurl: 'x' } as CaptchaRequest, {
        source: 'api',
      }),
    ).toMatchObject({
      status: 'rejected',
      limit: 'invalid_request',
    })
    fx.tenants.suspend(t.id, 'test')
    expect(await fx.solver.solve(t.id, turnstile, { source: 'api' })).toMatchObject({
      status: 'rejected',
      limit: 'suspended',
    })
    fx.tenants.delete(t.id, 'test')
    expect(await fx.solver.solve(t.id, turnstile, { source: 'api' })).toMatchObject({
      status: 'rejected',
      limit: 'unknown_tenant',
    })
    expect(fx.sandbox.stats().inPhp).toBe(0)
    expect(fx.admission.openReservations()).toBe(0)
  })

  it('an own-key tenant without a key is refused clearly; with one it uses it', async () => {
    fx = await engineFixture({ sandbox: { keys: [{ key: SANDBOX_DEMO_KEY }, { key: 'o'.repeat(32) }] } })
    const t = fx.addTenant({ keyMode: 'own' })
    expect(await fx.solver.solve(t.id, turnstile, { source: 'api' })).toMatchObject({
      status: 'rejected',
      limit: 'no_key',
    })
    fx.ownKeys.set(t.id, 'o'.repeat(32))
    const r = await fx.solver.solve(t.id, turnstile, { source: 'api' })
    expect(r.status).toBe('solved')
    expect(fx.sandbox.tasks({ key: 'o'.repeat(32) })).toHaveLength(1)
  })

  it('names the limit that refused: rate, concurrency, daily, budget', async () => {
    fx = await engineFixture({
      sandbox: { solveTimes: { turnstile: { minMs: 2_000_000, maxMs: 2_000_000 } } },
    })
    const rate = fx.addTenant({ limits: { requestsPerMinute: 1 } })
    await fx.solver.solve(rate.id, v3, { source: 'api' })
    expect(await fx.solver.solve(rate.id, v3, { source: 'api' })).toMatchObject({
      status: 'rejected',
      limit: 'rate',
      retryAfterMs: expect.any(Number),
    })

    const conc = fx.addTenant({ limits: { maxConcurrent: 1 } })
    const slow = fx.solver.solve(conc.id, turnstile, { source: 'api' })
    await new Promise((r) => setTimeout(r, 20))
    expect(await fx.solver.solve(conc.id, v3, { source: 'api' })).toMatchObject({
      status: 'rejected',
      limit: 'concurrency',
    })
    await slow

    const daily = fx.addTenant({ limits: { solvesPerDay: 2 } })
    await fx.solver.solve(daily.id, v3, { source: 'api' })
    await fx.solver.solve(daily.id, v3, { source: 'api' })
    const d = await fx.solver.solve(daily.id, v3, { source: 'api' })
    expect(d).toMatchObject({ status: 'rejected', limit: 'daily' })

    const budget = fx.addTenant({ limits: { monthlyBudgetMicros: 5_000 } }) // v3 costs 4,000 by default
    expect((await fx.solver.solve(budget.id, v3, { source: 'api' })).status).toBe('solved')
    expect(await fx.solver.solve(budget.id, v3, { source: 'api' })).toMatchObject({
      status: 'rejected',
      limit: 'budget',
    })
    expect(fx.admission.openReservations()).toBe(0)
    // Refusals are counted per tenant and code (for usage and abuse statistics), with no ledger row of their own.
    expect(fx.db.prepare("SELECT COUNT(*) AS n FROM attempts WHERE status = 'rejected'").get()).toEqual({
      n: 0,
    })
    const refusals = fx.refusals
    const counted = (tenantId: string) => refusals.totals({ tenantId, fromMs: 0, toMs: Date.now() + 60_000 })
    expect(counted(rate.id)).toEqual([{ code: 'LIMIT_RATE', count: 1 }])
    expect(counted(conc.id)).toEqual([{ code: 'LIMIT_CONCURRENCY', count: 1 }])
    expect(counted(daily.id)).toEqual([{ code: 'LIMIT_DAILY', count: 1 }])
    expect(counted(budget.id)).toEqual([{ code: 'LIMIT_BUDGET', count: 1 }])
  })

  it('failures are never billed and no reservation leaks under injected faults', async () => {
    fx = await engineFixture({
      sandbox: {
        faults: {
          unsolvableRate: 0.3,
          http5xxRate: 0.1,
          dropRate: 0.05,
          malformedRate: 0.05,
          serverErrorRate: 0.05,
        },
      },
    })
    const t = fx.addTenant({ limits: { maxConcurrent: 20 } })
    const results = await Promise.all(
      Array.from({ length: 60 }, () => fx!.solver.solve(t.id, v3, { source: 'api', timeoutMs: 10_000 })),
    )
    const solved = results.filter((r) => r.status === 'solved').length
    expect(solved).toBeGreaterThan(0)
    expect(results.some((r) => r.status === 'failed')).toBe(true)
    expect(billed(fx).n).toBe(solved)
    expect(billed(fx).p).toBe(solved * 4_000)
    // The ledger's solved rows are exactly the Sandbox's delivered solves.
    const ledgerSolved = fx.db
      .prepare("SELECT upstream_task_id AS id FROM attempts WHERE status = 'solved'")
      .all() as Array<{ id: string }>
    expect(new Set(ledgerSolved.map((r) => r.id))).toEqual(
      new Set(
        fx.sandbox
          .tasks({ status: 'solved' })
          .filter((x) => x.deliveredCount > 0)
          .map((x) => x.id),
      ),
    )
    expect(fx.admission.openReservations()).toBe(0)
    expect(fx.ledger.openAttempts()).toHaveLength(0)
  })

  it('cancellation ends the attempt unbilled and releases the reservation', async () => {
    fx = await engineFixture({
      sandbox: { solveTimes: { turnstile: { minMs: 5_000_000, maxMs: 5_000_000 } } },
    })
    const t = fx.addTenant({ limits: { maxConcurrent: 1 } })
    const ctl = new AbortController()
    const p = fx.solver.solve(t.id, turnstile, { source: 'console', signal: ctl.signal, timeoutMs: 10_000 })
    await new Promise((r) => setTimeout(r, 30))
    ctl.abort()
    const r = await p
    expect(r.status).toBe('cancelled')
    expect(fx.ledger.get(r.attemptId)).toMatchObject({ status: 'cancelled', priceMicros: 0 })
    expect(fx.admission.openReservations()).toBe(0)
    expect((await fx.solver.solve(t.id, v3, { source: 'console' })).status).toBe('solved')
  })

  it('limits survive a restart: the day’s count comes from the ledger', async () => {
    fx = await engineFixture()
    const t = fx.addTenant({ limits: { solvesPerDay: 3 } })
    for (let i = 0; i < 3; i++)
      expect((await fx.solver.solve(t.id, v3, { source: 'api' })).status).toBe('solved')
    // A fresh admission controller over the same ledger (what a restart builds).
    const { createAdmissionController } = await import('../../../electron/engine/admission')
    const fresh = createAdmissionController({
      loader: ledgerUsageLoader(fx!.ledger),
    })
    const d = fresh.reserve({
      tenant: fx.tenants.get(t.id)!,
      captchaType: 'recaptcha_v3',
      estimateMicros: 4_000,
      now: Date.now(),
    })
    expect(d).toMatchObject({ ok: false, limit: 'daily' })
  })
})
