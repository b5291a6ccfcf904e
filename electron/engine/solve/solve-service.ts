/**
 * tenant → admission → ledger (durable before anything goes upstream) → provider → ledger → release.
 * Every exit path releases the reservation exactly once and settles the attempt exactly once; only solves are billed.
 */
import { randomUUID } from 'node:crypto'
import type { CaptchaRequest } from '@shared/captcha'
import { captchaRequestSchema, describeIssues } from '@shared/captcha-schema'
import type { Tenant } from '@shared/tenant'
import type { AdmissionStore, Reservation } from '../admission/types'
import type { SqliteLedger } from '../ledger/sqlite-ledger'
import type { Ledger } from '../ledger/types'
import { ProviderError, type ProviderClient, type TaskOutcome } from '../provider'
import type {
  KeyResolver,
  Pricing,
  RecoveryReport,
  SolveCallOptions,
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
}

export function createSolveService(deps: SolveServiceDeps): SolveService {
  const now = deps.now ?? Date.now
  const running = new Set<Promise<unknown>>()

  async function solve(
    tenantId: string,
    request: CaptchaRequest,
    opts: SolveCallOptions,
  ): Promise<SolveResult> {
    const attemptId = randomUUID()
    const emit = opts.onProgress ?? (() => undefined)
    const tenant = typeof tenantId === 'string' ? deps.tenants.get(tenantId) : undefined
    const reject = async (
      limit: Extract<SolveResult, { status: 'rejected' }>['limit'],
      message: string,
      retryAfterMs: number,
      type = 'image',
    ): Promise<SolveResult> => {
      if (tenant) {
        await deps.ledger.recordRejection({
          attemptId,
          tenantId: tenant.id,
          captchaType: type as CaptchaRequest['type'],
          providerAccount: '-',
          source: opts.source,
          createdAt: now(),
          errorCode: `LIMIT_${limit.toUpperCase()}`,
        })
      }
      const result: SolveResult = { status: 'rejected', attemptId, limit, message, retryAfterMs }
      emit({ stage: 'ended', attemptId, tenantId, result, at: now() })
      return result
    }
    if (!tenant || tenant.status === 'deleted')
      return reject('unknown_tenant', `No tenant with id "${String(tenantId).slice(0, 40)}".`, 0)
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
    const admission = deps.admission.reserve({
      tenant,
      captchaType: req.type,
      estimateMicros: priceMicros,
      now: now(),
    })
    if (!admission.ok) return reject(admission.limit, admission.message, admission.retryAfterMs, req.type)
    const reservation = admission.reservation

    const work = runAdmitted(tenant, req, key, reservation, attemptId, costMicros, priceMicros, opts)
    running.add(work)
    try {
      return await work
    } finally {
      running.delete(work)
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
    const emit = opts.onProgress ?? (() => undefined)
    let released = false
    const release = (solved: boolean, price: number): void => {
      if (released) return
      released = true
      deps.admission.release(reservation, { solved, priceMicros: price, now: now() })
    }
    let taskId: string | null = null
    let submittedAt: number | null = null
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
            // Tell the caller at once (the gateway answers in.php here); the task id's durable write follows. The
            // attempt itself was durable before the upstream call, so a crash in between can only expire it unbilled.
            const recorded = deps.ledger.markSubmitted(attemptId, s.taskId, s.submittedAt)
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
        const endedAt = now()
        await deps.ledger.settle(attemptId, {
          status: code === 'CANCELLED' ? 'cancelled' : 'failed',
          errorCode: code,
          endedAt,
          threadMs: submittedAt !== null ? endedAt - submittedAt : 0,
        })
        release(false, 0)
        const result: SolveResult = {
          status: code === 'CANCELLED' ? 'cancelled' : 'failed',
          attemptId,
          taskId,
          code,
          message,
          keyProblem: err instanceof ProviderError && err.action === 'stop_key',
        }
        emit({ stage: 'ended', attemptId, tenantId: tenant.id, result, at: now() })
        return result
      }
      const result = await settleOutcome(tenant, attemptId, outcome, costMicros, priceMicros)
      release(result.status === 'solved', result.status === 'solved' ? priceMicros : 0)
      emit({ stage: 'ended', attemptId, tenantId: tenant.id, result, at: now() })
      return result
    } finally {
      release(false, 0) // only if nothing above released it (e.g. the ledger itself failed)
      deps.onSettled?.(tenant.id)
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

  async function recoverOpenAttempts(): Promise<RecoveryReport> {
    const report: RecoveryReport = { solved: 0, failed: 0, expired: 0, stillRunning: 0, unconfirmed: 0 }
    for (const a of deps.ledger.openAttempts()) {
      const tenant = deps.tenants.get(a.tenantId)
      const endedAt = now()
      if (a.status === 'pending' || a.upstreamTaskId === null) {
        // Accepted upstream or not, we never learnt a task id: it cannot be matched, so it is never billed.
        await deps.ledger.settle(a.attemptId, {
          status: 'expired',
          errorCode: 'SUBMIT_UNCONFIRMED',
          endedAt,
          threadMs: 0,
        })
        report.unconfirmed++
        continue
      }
      let key: string | undefined
      try {
        key = tenant ? deps.keys.resolve(tenant).apiKey : undefined
      } catch {
        key = undefined
      }
      let check: Awaited<ReturnType<ProviderClient['checkTask']>> | undefined
      if (key) {
        try {
          check = await deps.provider.checkTask(key, a.upstreamTaskId)
        } catch {
          check = undefined
        }
      }
      const submittedAt = a.submittedAt ?? a.createdAt
      if (check && check.ready && 'answer' in check && tenant) {
        const cost = deps.pricing.costOf(a.captchaType, a.providerAccount)
        const price = deps.pricing.priceOf(tenant, a.captchaType, cost)
        await deps.ledger.settle(a.attemptId, {
          status: 'solved',
          readyAt: endedAt,
          endedAt,
          threadMs: endedAt - submittedAt,
          costMicros: cost,
          priceMicros: price,
        })
        report.solved++
      } else if (check && check.ready && 'error' in check) {
        await deps.ledger.settle(a.attemptId, {
          status: 'failed',
          errorCode: check.error,
          endedAt,
          threadMs: endedAt - submittedAt,
        })
        report.failed++
      } else if (check && !check.ready && tenant && key) {
        // Still solving upstream: wait for it in the background, as if nothing had happened.
        report.stillRunning++
        const k = key
        const t = tenant
        const wait = deps.provider
          .waitForResult(k, { taskId: a.upstreamTaskId, submittedAt, type: a.captchaType })
          .then((o) => {
            const cost = deps.pricing.costOf(a.captchaType, a.providerAccount)
            return settleOutcome(t, a.attemptId, o, cost, deps.pricing.priceOf(t, a.captchaType, cost))
          })
          .finally(() => running.delete(wait))
        running.add(wait)
      } else {
        await deps.ledger.settle(a.attemptId, {
          status: 'expired',
          errorCode: 'UNKNOWN_AFTER_RESTART',
          endedAt,
          threadMs: 0,
        })
        report.expired++
      }
    }
    ;(deps.ledger as Partial<SqliteLedger>).flush?.()
    return report
  }

  return {
    solve: (tenantId, request, options) => solve(tenantId, request, options),
    recoverOpenAttempts,
    inFlight: () => running.size,
    async drain() {
      while (running.size > 0) await Promise.allSettled([...running])
    },
  }
}
