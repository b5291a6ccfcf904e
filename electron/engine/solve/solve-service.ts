/**
 * tenant → request → key → admission (check and reserve in one synchronous step) → ledger.begin (durable before
 * anything goes upstream) → provider (task id recorded the moment the upstream's reply is parsed) → ledger.settle →
 * release. Every exit path — solved, failed, timed out, cancelled, a thrown error, a crash recovered at start-up —
 * settles the attempt once and releases the reservation once; only solves are billed.
 */
import { randomUUID } from 'node:crypto'
import type { CaptchaRequest } from '@shared/captcha'
import { captchaRequestSchema, describeIssues } from '@shared/captcha-schema'
import type { Tenant } from '@shared/tenant'
import { AdmissionQueue } from '../admission/wait-queue'
import type { AdmissionStore, Reservation } from '../admission/types'
import type { AttemptRecord, Ledger, SettleOutcome } from '../ledger/types'
import { ProviderError, type ProviderClient, type TaskOutcome } from '../provider'
import type {
  KeyResolver,
  Pricing,
  RecoveryReport,
  SolveCallOptions,
  SolveProgress,
  SolveResult,
  SolveService,
} from './types'

export interface SolveServiceDeps {
  tenants: { get(id: string): Tenant | undefined }
  ledger: Ledger
  admission: AdmissionStore
  keys: KeyResolver
  provider: ProviderClient
  pricing: Pricing
  now?: () => number
  /** Called after every settle (alerts, dashboards). */
  onSettled?: (tenantId: string) => void
  /**
   * Default bounded wait for a capacity refusal (concurrency / shared threads) before answering "rejected".
   * 0 (the default) refuses at once: the gateway's clients back off on ERROR_NO_SLOT_AVAILABLE.
   */
  queueWaitMs?: number
  recovery?: {
    /** res.php checks per open task before giving up on it (network trouble at start-up). Default 3. */
    checkAttempts?: number
    /** Pause between those checks, ms. Default 500. */
    retryDelayMs?: number
    /** Checks in flight at once. Default 8. */
    concurrency?: number
  }
}

type Rejected = Extract<SolveResult, { status: 'rejected' }>

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export function createSolveService(deps: SolveServiceDeps): SolveService {
  const now = deps.now ?? Date.now
  const gate = new AdmissionQueue(deps.admission, { now })
  /** Every promise still running (solves and recovered waits), for drain(). */
  const running = new Set<Promise<unknown>>()
  /** Attempts this process owns (admitted here or adopted by recovery) → tenant: never "recovered" twice. */
  const live = new Map<string, string>()
  const perTenant = new Map<string, number>()
  const track = (attemptId: string, tenantId: string): void => {
    live.set(attemptId, tenantId)
    perTenant.set(tenantId, (perTenant.get(tenantId) ?? 0) + 1)
  }
  const untrack = (attemptId: string): void => {
    const tenantId = live.get(attemptId)
    if (tenantId === undefined) return
    live.delete(attemptId)
    const n = (perTenant.get(tenantId) ?? 1) - 1
    if (n <= 0) perTenant.delete(tenantId)
    else perTenant.set(tenantId, n)
  }
  const flushLedger = (): void => deps.ledger.flush()
  /** The task id is committed at once (no fsync): waiting for the next group commit leaves it unmatchable after a kill. */
  const commitWithoutFsync = (): void => deps.ledger.commitWithoutFsync()
  const notifySettled = (tenantId: string): void => {
    try {
      deps.onSettled?.(tenantId)
    } catch {
      // a listener's failure must not turn a settled solve into an error
    }
  }
  const emitter =
    (opts: SolveCallOptions) =>
    (event: SolveProgress): void => {
      try {
        opts.onProgress?.(event)
      } catch {
        // a progress listener cannot break the solve (it runs inside the submit path)
      }
    }

  async function solve(
    tenantId: string,
    request: CaptchaRequest,
    opts: SolveCallOptions,
  ): Promise<SolveResult> {
    const attemptId = randomUUID()
    const emit = emitter(opts)
    const tenant = typeof tenantId === 'string' ? deps.tenants.get(tenantId) : undefined
    const reject = async (
      limit: Rejected['limit'],
      message: string,
      retryAfterMs: number,
      type: CaptchaRequest['type'] = 'image',
    ): Promise<SolveResult> => {
      // Kept for usage and audit (never billed). An unknown id gets no row: random ids must not fill the ledger.
      if (tenant) {
        try {
          await deps.ledger.recordRejection({
            attemptId,
            tenantId: tenant.id,
            captchaType: type,
            providerAccount: '-',
            source: opts.source,
            createdAt: now(),
            errorCode: `LIMIT_${limit.toUpperCase()}`,
          })
        } catch {
          // the refusal stands even if it could not be recorded
        }
      }
      const result: SolveResult = { status: 'rejected', attemptId, limit, message, retryAfterMs }
      emit({ stage: 'ended', attemptId, tenantId: String(tenantId), result, at: now() })
      return result
    }
    if (!tenant || tenant.status === 'deleted')
      return reject('unknown_tenant', `No tenant with id "${String(tenantId).slice(0, 40)}".`, 0)
    if (tenant.status !== 'active')
      return reject('suspended', `Tenant "${tenant.name}" is ${tenant.status}; resume it to allow solves.`, 0)
    const parsed = captchaRequestSchema.safeParse(request)
    if (!parsed.success)
      return reject('invalid_request', `Invalid captcha request: ${describeIssues(parsed.error)}`, 0)
    const req = parsed.data
    let key: { apiKey: string; providerAccount: string }
    try {
      key = deps.keys.resolve(tenant)
    } catch (err) {
      return reject('no_key', (err as Error).message, 0, req.type)
    }
    const costMicros = deps.pricing.costOf(req.type, key.providerAccount)
    const priceMicros = deps.pricing.priceOf(tenant, req.type, costMicros)
    const admission = await gate.admit(
      { tenant, captchaType: req.type, estimateMicros: priceMicros },
      { waitMs: opts.queueWaitMs ?? deps.queueWaitMs ?? 0, signal: opts.signal },
    )
    if (!admission.ok) {
      if (opts.signal?.aborted) {
        const result: SolveResult = {
          status: 'cancelled',
          attemptId,
          taskId: null,
          code: 'CANCELLED',
          message: 'Cancelled while waiting for a free slot; nothing was sent or billed.',
          keyProblem: false,
        }
        emit({ stage: 'ended', attemptId, tenantId: tenant.id, result, at: now() })
        return result
      }
      return reject(admission.limit, admission.message, admission.retryAfterMs, req.type)
    }
    track(attemptId, tenant.id)
    const work = runAdmitted(
      tenant,
      req,
      key,
      admission.reservation,
      attemptId,
      costMicros,
      priceMicros,
      opts,
    )
    running.add(work)
    try {
      return await work
    } finally {
      running.delete(work)
      untrack(attemptId)
    }
  }

  async function runAdmitted(
    tenant: Tenant,
    req: CaptchaRequest,
    key: { apiKey: string; providerAccount: string },
    reservation: Reservation,
    attemptId: string,
    costMicros: number,
    priceMicros: number,
    opts: SolveCallOptions,
  ): Promise<SolveResult> {
    const emit = emitter(opts)
    let released = false
    const release = (solved: boolean, price: number): void => {
      if (released) return
      released = true
      gate.release(reservation, { solved, priceMicros: price, now: now() })
    }
    let taskId: string | null = null
    let submittedAt: number | null = null
    const end = (result: SolveResult): SolveResult => {
      emit({ stage: 'ended', attemptId, tenantId: tenant.id, result, at: now() })
      return result
    }
    try {
      await deps.ledger.begin({
        attemptId,
        tenantId: tenant.id,
        captchaType: req.type,
        providerAccount: key.providerAccount,
        source: opts.source,
        createdAt: reservation.at,
        reservedMicros: reservation.reservedMicros,
      })
      emit({ stage: 'admitted', attemptId, tenantId: tenant.id, at: now() })
      let outcome: TaskOutcome
      try {
        outcome = await deps.provider.solve(key.apiKey, req, {
          signal: opts.signal,
          timeoutMs: opts.timeoutMs,
          pingbackUrl: opts.pingbackUrl,
          onSubmitted: async (s) => {
            taskId = s.taskId
            submittedAt = s.submittedAt
            // The 2captcha protocol has no idempotency key: a task the upstream accepted but whose id we never
            // recorded cannot be matched after a crash. Commit the id now (not at the next group commit) to keep
            // that window as short as the ledger allows, then tell the caller (the gateway answers in.php here).
            const recorded = deps.ledger.markSubmitted(attemptId, s.taskId, s.submittedAt)
            commitWithoutFsync()
            emit({ stage: 'submitted', attemptId, tenantId: tenant.id, taskId: s.taskId, at: now() })
            await recorded
          },
        })
      } catch (err) {
        // Submit failed (never accepted upstream), or recording the task id failed.
        const code = err instanceof ProviderError ? err.code : 'INTERNAL_ERROR'
        const message =
          err instanceof ProviderError
            ? err.message
            : 'An internal error stopped this solve; it was not billed.'
        const status = code === 'CANCELLED' ? 'cancelled' : 'failed'
        const endedAt = now()
        await deps.ledger.settle(attemptId, {
          status,
          errorCode: code,
          endedAt,
          threadMs: submittedAt !== null ? endedAt - submittedAt : 0,
        })
        release(false, 0)
        return end({
          status,
          attemptId,
          taskId,
          code,
          message,
          keyProblem: err instanceof ProviderError && err.action === 'stop_key',
        })
      }
      const result = await settleOutcome(tenant, attemptId, outcome, costMicros, priceMicros)
      release(result.status === 'solved', result.status === 'solved' ? priceMicros : 0)
      return end(result)
    } catch {
      // The ledger itself failed (begin or settle). Nothing is billed; the attempt, if it was written, stays open
      // and the next start-up settles it from the upstream's answer.
      release(false, 0)
      return end({
        status: 'failed',
        attemptId,
        taskId,
        code: 'INTERNAL_ERROR',
        message: 'The usage ledger could not record this solve; it was not billed.',
        keyProblem: false,
      })
    } finally {
      release(false, 0) // only if nothing above released it
      notifySettled(tenant.id)
    }
  }

  async function settleOutcome(
    tenant: Tenant,
    attemptId: string,
    o: TaskOutcome,
    cost: number,
    price: number,
  ): Promise<SolveResult> {
    if (o.status === 'solved') {
      await deps.ledger.settle(attemptId, {
        status: 'solved',
        readyAt: o.readyAt,
        endedAt: o.readyAt,
        threadMs: o.readyAt - o.submittedAt,
        costMicros: cost,
        priceMicros: price,
      })
      return {
        status: 'solved',
        attemptId,
        taskId: o.taskId,
        answer: o.answer,
        threadMs: o.readyAt - o.submittedAt,
        priceMicros: price,
        costMicros: cost,
      }
    }
    const code = o.status === 'failed' ? o.code : o.status === 'timed_out' ? 'DEADLINE_EXCEEDED' : 'CANCELLED'
    await deps.ledger.settle(attemptId, {
      status: o.status,
      errorCode: code,
      endedAt: o.endedAt,
      threadMs: o.endedAt - o.submittedAt,
    })
    const message =
      o.status === 'failed'
        ? `The upstream answered ${o.code}; nothing was billed.`
        : o.status === 'timed_out'
          ? 'No answer before the deadline; nothing was billed.'
          : 'Cancelled; nothing was billed.'
    return {
      status: o.status,
      attemptId,
      taskId: o.taskId,
      code,
      message,
      keyProblem: o.status === 'failed' && o.action === 'stop_key',
    }
  }

  type Check = Awaited<ReturnType<ProviderClient['checkTask']>>

  /** res.php for one task, retried a few times on network trouble; undefined if it never answered. */
  async function checkWithRetry(apiKey: string, taskId: string): Promise<Check | undefined> {
    const attempts = Math.max(1, deps.recovery?.checkAttempts ?? 3)
    const delay = deps.recovery?.retryDelayMs ?? 500
    for (let i = 0; i < attempts; i++) {
      try {
        return await deps.provider.checkTask(apiKey, taskId)
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
      if (reservation) gate.release(reservation, { solved, priceMicros: price, now: now() })
    }
    const settle = async (o: SettleOutcome): Promise<void> => {
      try {
        await deps.ledger.settle(a.attemptId, o)
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
    const upstreamTaskId = a.upstreamTaskId
    let apiKey: string | undefined
    try {
      apiKey = tenant ? deps.keys.resolve(tenant).apiKey : undefined
    } catch {
      apiKey = undefined
    }
    const check = apiKey ? await checkWithRetry(apiKey, upstreamTaskId) : undefined
    const submittedAt = a.submittedAt ?? a.createdAt
    if (check && check.ready && 'answer' in check && tenant) {
      const cost = deps.pricing.costOf(a.captchaType, a.providerAccount)
      const price = deps.pricing.priceOf(tenant, a.captchaType, cost)
      await settle({
        status: 'solved',
        readyAt: endedAt,
        endedAt,
        threadMs: endedAt - submittedAt,
        costMicros: cost,
        priceMicros: price,
      })
      report.solved++
    } else if (check && check.ready && 'error' in check) {
      await settle({ status: 'failed', errorCode: check.error, endedAt, threadMs: endedAt - submittedAt })
      report.failed++
    } else if (check && !check.ready && tenant && apiKey) {
      // Still solving upstream: wait for it in the background, as if nothing had happened. The provider's default
      // deadline counts from the original submit; past it the attempt ends timed_out (unbilled).
      report.stillRunning++
      const t = tenant
      const wait = deps.provider
        .waitForResult(apiKey, { taskId: upstreamTaskId, submittedAt, type: a.captchaType })
        .then(async (o) => {
          const cost = deps.pricing.costOf(a.captchaType, a.providerAccount)
          const r = await settleOutcome(t, a.attemptId, o, cost, deps.pricing.priceOf(t, a.captchaType, cost))
          release(r.status === 'solved', r.status === 'solved' ? r.priceMicros : 0)
        })
        .catch(async () => {
          try {
            await deps.ledger.settle(a.attemptId, {
              status: 'expired',
              errorCode: 'UNKNOWN_AFTER_RESTART',
              endedAt: now(),
              threadMs: 0,
            })
          } finally {
            release(false, 0)
          }
        })
        .finally(() => {
          running.delete(wait)
          untrack(a.attemptId)
          notifySettled(a.tenantId)
        })
      running.add(wait)
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
    const open = deps.ledger.openAttempts().filter((a) => !live.has(a.attemptId))
    // Take them over first, so each holds its thread / count / budget until it is settled and released here.
    const jobs = open.map((a) => {
      const tenant = deps.tenants.get(a.tenantId)
      const reservation = tenant
        ? deps.admission.adopt({
            tenant,
            captchaType: a.captchaType,
            createdAt: a.createdAt,
            reservedMicros: a.reservedMicros,
          })
        : undefined
      track(a.attemptId, a.tenantId)
      return { a, tenant, reservation }
    })
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < jobs.length) {
        const { a, tenant, reservation } = jobs[next++]!
        let background = false
        try {
          background = await recoverOne(a, tenant, reservation, report)
        } catch {
          // the ledger failed for this one: it stays open for the next start-up; give its capacity back now
          if (reservation) gate.release(reservation, { solved: false, priceMicros: 0, now: now() })
        } finally {
          if (!background) {
            untrack(a.attemptId)
            notifySettled(a.tenantId)
          }
        }
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, deps.recovery?.concurrency ?? 8) }, worker))
    flushLedger()
    return report
  }

  return {
    solve: (tenantId, request, options) => solve(tenantId, request, options),
    recoverOpenAttempts,
    inFlight: (tenantId?: string) => (tenantId === undefined ? live.size : (perTenant.get(tenantId) ?? 0)),
    inFlightByTenant: () => new Map(perTenant),
    waiting: () => gate.waiting(),
    async drain() {
      while (running.size > 0) await Promise.allSettled([...running])
    },
  }
}
