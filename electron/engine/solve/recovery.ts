/**
 * Start-up recovery: settles the attempts an earlier process left open (killed, or stopped mid-solve). Each is
 * taken over first (adopted by admission, so it holds its thread / count / budget until settled), then:
 * - never got an upstream task id → expired SUBMIT_UNCONFIRMED (cannot be matched, never billed);
 * - the tenant was never told about it (the result sink says it cannot be delivered) → expired NOT_ANNOUNCED;
 * - the upstream has the answer → the answer goes to the result sink, then the attempt is billed once;
 * - the upstream reports an error → failed, unbilled;
 * - still solving → waited for in the background, as if nothing had happened;
 * - the upstream cannot be asked → expired UNKNOWN_AFTER_RESTART, unbilled.
 */
import type { Tenant } from '@shared/tenant'
import type { AdmissionQueue } from '../admission/wait-queue'
import type { Reservation } from '../admission/types'
import type { AttemptRecord, SettleOutcome } from '../ledger/types'
import { ProviderError, type ProviderClient, type TaskOutcome } from '../provider'
import type { SolveServiceDeps } from './solve-service'
import type { DeliveredOutcome, RecoveryReport, SolveResult } from './types'

export interface RecoveryContext extends SolveServiceDeps {
  gate: AdmissionQueue
  /** Aborted at shutdown: background waits stop and leave their attempts open for the next start. */
  closing: AbortSignal
  running: Set<Promise<unknown>>
  live: Map<string, string>
  track(attemptId: string, tenantId: string): void
  untrack(attemptId: string): void
  notifySettled(tenantId: string): void
  deliver(attemptId: string, o: DeliveredOutcome): Promise<boolean>
  settleOutcome(
    tenant: Tenant,
    attemptId: string,
    o: TaskOutcome,
    costMicros: number,
    priceMicros: number,
  ): Promise<SolveResult>
}

type Check = Awaited<ReturnType<ProviderClient['checkTask']>>

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export function createRecovery(ctx: RecoveryContext): { recoverOpenAttempts(): Promise<RecoveryReport> } {
  const now = ctx.now ?? Date.now

  /** res.php for one task, retried a few times on network trouble; undefined if it never answered. */
  async function checkWithRetry(apiKey: string, taskId: string): Promise<Check | undefined> {
    const attempts = Math.max(1, ctx.recovery?.checkAttempts ?? 3)
    const delay = ctx.recovery?.retryDelayMs ?? 500
    for (let i = 0; i < attempts; i++) {
      try {
        return await ctx.provider.checkTask(apiKey, taskId)
      } catch (err) {
        // A definite refusal (bad id, key gone) will not change: stop asking.
        if (err instanceof ProviderError && err.action !== 'retry') return { ready: true, error: err.code }
        if (i + 1 < attempts) await sleep(delay * 2 ** i)
      }
    }
    return undefined
  }

  async function recoverOne(
    a: AttemptRecord,
    tenant: Tenant | undefined,
    reservation: Reservation | undefined,
    report: RecoveryReport,
  ): Promise<boolean> {
    const release = (solved: boolean, price: number): void => {
      if (reservation) ctx.gate.release(reservation, { solved, priceMicros: price, now: now() })
    }
    const settle = async (o: SettleOutcome): Promise<void> => {
      try {
        if (o.status !== 'solved')
          await ctx.deliver(a.attemptId, { status: o.status, code: o.errorCode ?? '' })
        await ctx.ledger.settle(a.attemptId, o)
      } finally {
        release(o.status === 'solved', o.status === 'solved' ? o.priceMicros : 0)
      }
    }
    const endedAt = now()
    if (a.status === 'pending' || a.upstreamTaskId === null) {
      // Accepted upstream or not, we never learnt a task id: it cannot be matched, so it is never billed.
      await settle({ status: 'expired', errorCode: 'SUBMIT_UNCONFIRMED', endedAt, threadMs: 0 })
      report.unconfirmed++
      return false
    }
    if (a.source === 'console' || (ctx.results?.deliverable && !ctx.results.deliverable(a))) {
      // Accepted upstream, but nobody can ever read the answer: the process died before the tenant was told the
      // gateway task id, or it was the operator's test solve, whose answer lived only in the console's request.
      await settle({ status: 'expired', errorCode: 'NOT_ANNOUNCED', endedAt, threadMs: 0 })
      report.unconfirmed++
      return false
    }
    const upstreamTaskId = a.upstreamTaskId
    let apiKey: string | undefined
    try {
      apiKey = tenant ? ctx.keys.resolve(tenant).apiKey : undefined
    } catch {
      apiKey = undefined
    }
    const check = apiKey ? await checkWithRetry(apiKey, upstreamTaskId) : undefined
    const submittedAt = a.submittedAt ?? a.createdAt
    if (check && check.ready && 'answer' in check && tenant) {
      const cost = ctx.pricing.costOf(a.captchaType, a.providerAccount)
      const price = ctx.pricing.priceOf(tenant, a.captchaType, cost)
      const outcome: TaskOutcome = {
        status: 'solved',
        taskId: upstreamTaskId,
        answer: check.answer,
        submittedAt,
        readyAt: endedAt,
      }
      const r = await ctx.settleOutcome(tenant, a.attemptId, outcome, cost, price)
      release(r.status === 'solved', r.status === 'solved' ? price : 0)
      if (r.status === 'solved') report.solved++
      else report.failed++
    } else if (check && check.ready && 'error' in check) {
      await settle({ status: 'failed', errorCode: check.error, endedAt, threadMs: endedAt - submittedAt })
      report.failed++
    } else if (check && !check.ready && tenant && apiKey) {
      // Still solving upstream: wait for it in the background, as if nothing had happened. The provider's default
      // deadline counts from the original submit; past it the attempt ends timed_out (unbilled).
      report.stillRunning++
      const t = tenant
      const wait = ctx.provider
        .waitForResult(
          apiKey,
          { taskId: upstreamTaskId, submittedAt, type: a.captchaType },
          { signal: ctx.closing },
        )
        .then(async (o) => {
          if (o.status === 'cancelled' && ctx.closing.aborted) return release(false, 0) // next start settles it
          const cost = ctx.pricing.costOf(a.captchaType, a.providerAccount)
          const r = await ctx.settleOutcome(
            t,
            a.attemptId,
            o,
            cost,
            ctx.pricing.priceOf(t, a.captchaType, cost),
          )
          release(r.status === 'solved', r.status === 'solved' ? r.priceMicros : 0)
        })
        // Through settle(): the tenant's task ends too (not pending until the stale sweep), and the hold is released.
        .catch(() =>
          settle({ status: 'expired', errorCode: 'UNKNOWN_AFTER_RESTART', endedAt: now(), threadMs: 0 }),
        )
        .finally(() => {
          ctx.running.delete(wait)
          ctx.untrack(a.attemptId)
          ctx.notifySettled(a.tenantId)
        })
      ctx.running.add(wait)
      return true // stays tracked until the background wait ends
    } else {
      // The upstream could not be asked (no key, unreachable): we cannot know, so it is not billed.
      await settle({ status: 'expired', errorCode: 'UNKNOWN_AFTER_RESTART', endedAt, threadMs: 0 })
      report.expired++
    }
    return false
  }

  async function recoverOpenAttempts(): Promise<RecoveryReport> {
    const report: RecoveryReport = { solved: 0, failed: 0, expired: 0, stillRunning: 0, unconfirmed: 0 }
    // Only what an earlier process left open: solves running in this one are not touched.
    const open = ctx.ledger.openAttempts().filter((a) => !ctx.live.has(a.attemptId))
    // Take them over first, so each holds its thread / count / budget until it is settled and released here.
    const jobs = open.map((a) => {
      const tenant = ctx.tenants.get(a.tenantId)
      const reservation = tenant
        ? ctx.admission.adopt({
            tenant,
            captchaType: a.captchaType,
            createdAt: a.createdAt,
            reservedMicros: a.reservedMicros,
          })
        : undefined
      ctx.track(a.attemptId, a.tenantId)
      return { a, tenant, reservation }
    })
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < jobs.length) {
        const { a, tenant, reservation } = jobs[next++]!
        let background = false
        try {
          background = await recoverOne(a, tenant, reservation, report)
        } catch (err) {
          ctx.log?.(
            'error',
            'recovery: an open attempt could not be settled; it is retried at the next start',
            {
              attemptId: a.attemptId,
              error: (err as Error).message,
            },
          )
          // the ledger failed for this one: it stays open for the next start-up; give its capacity back now
          if (reservation) ctx.gate.release(reservation, { solved: false, priceMicros: 0, now: now() })
        } finally {
          if (!background) {
            ctx.untrack(a.attemptId)
            ctx.notifySettled(a.tenantId)
          }
        }
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, ctx.recovery?.concurrency ?? 8) }, worker))
    ctx.ledger.flush()
    return report
  }

  return { recoverOpenAttempts }
}
