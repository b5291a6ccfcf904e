/**
 * tenant → request → key → admission (check and reserve in one synchronous step) → ledger.begin (durable before
 * anything goes upstream) → provider (task id recorded the moment the upstream's reply is parsed) → answer handed to
 * the result sink (the gateway's task store) → ledger.settle → release. Every exit path — solved, failed, timed out,
 * cancelled, a thrown error — settles the attempt once and releases the reservation once; only solves are billed.
 * A shutdown stops waiting instead: those attempts stay open in the ledger and the next start settles them
 * (recovery.ts). Refusals are counted (refusal counters), never journaled.
 */
import { randomUUID } from 'node:crypto'
import type { CaptchaRequest, CaptchaType } from '@shared/captcha'
import { describeIssues, parseCaptchaRequest } from '@shared/captcha-schema'
import type { Tenant } from '@shared/tenant'
import { AdmissionQueue } from '../admission/wait-queue'
import type { AdmissionStore, Reservation } from '../admission/types'
import { UpstreamTaskClashError } from '../ledger/ledger-rules'
import type { Ledger } from '../ledger/types'
import { ProviderError, type ProviderClient, type SolveOptions, type TaskOutcome } from '../provider'
import { createRecovery } from './recovery'
import type {
  DeliveredOutcome,
  KeyResolver,
  Pricing,
  RefusalSink,
  ResultSink,
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
  /** Where refusals are counted (per tenant, minute and code). */
  refusals?: RefusalSink
  /** Where answers go before a solve is billed (the gateway's task store), and which attempts can still be delivered. */
  results?: ResultSink
  /** Logs what no caller sees (a ledger failure, an upstream id collision). */
  log?: (level: 'warn' | 'error', message: string, details: Record<string, unknown>) => void
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

/** One admitted solve: everything runAdmitted needs, named. */
interface AdmittedSolve {
  tenant: Tenant
  captchaType: CaptchaType
  /** Handed to the provider once (sendUpstream), then forgotten: the solve waits for its answer without the body. */
  request: CaptchaRequest | undefined
  key: { apiKey: string; providerAccount: string }
  reservation: Reservation
  attemptId: string
  costMicros: number
  priceMicros: number
  options: SolveCallOptions
}

export function createSolveService(deps: SolveServiceDeps): SolveService {
  const now = deps.now ?? Date.now
  const gate = new AdmissionQueue(deps.admission, { now })
  /** Every promise still running (solves and recovered waits), for drain(). */
  const running = new Set<Promise<unknown>>()
  /** Attempts this process owns (admitted here or adopted by recovery) → tenant: never "recovered" twice. */
  const live = new Map<string, string>()
  const perTenant = new Map<string, number>()
  /** Aborted by shutdown(): solves still waiting then stop waiting and stay open for the next start. */
  const closing = new AbortController()
  /**
   * Solves whose caller gave a signal of its own: one controller each, aborted by that signal or by shutdown (one
   * listener on `closing` for all of them, instead of AbortSignal.any per solve: measured ~20 µs and a weak
   * reference per solve).
   */
  const callerAborts = new Set<AbortController>()
  closing.signal.addEventListener('abort', () => {
    for (const c of callerAborts) c.abort()
  })
  /** The signal of a solve whose caller gave none (the gateway's): shared, nothing to undo at its end. */
  const shutdownOnly = { signal: closing.signal, end: (): void => undefined }
  /** A solve's signal: its caller's abort or shutdown, whichever comes first; `end()` once the solve has ended. */
  const solveSignal = (caller: AbortSignal | undefined): { signal: AbortSignal; end(): void } => {
    if (!caller) return shutdownOnly
    const stop = new AbortController()
    const onCallerAbort = (): void => stop.abort()
    callerAborts.add(stop)
    if (caller.aborted || closing.signal.aborted) stop.abort()
    else caller.addEventListener('abort', onCallerAbort, { once: true })
    return {
      signal: stop.signal,
      end() {
        callerAborts.delete(stop)
        caller.removeEventListener('abort', onCallerAbort)
      },
    }
  }
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
    const reject = (limit: Rejected['limit'], message: string, retryAfterMs: number): SolveResult => {
      // Counted for usage and abuse statistics (never billed, no ledger row). An unknown id is not counted at all.
      if (tenant) deps.refusals?.count(tenant.id, `LIMIT_${limit.toUpperCase()}`, now())
      const result: SolveResult = { status: 'rejected', attemptId, limit, message, retryAfterMs }
      emit({ stage: 'ended', attemptId, tenantId: String(tenantId), result, at: now() })
      return result
    }
    if (!tenant || tenant.status === 'deleted')
      return reject('unknown_tenant', `No tenant with id "${String(tenantId).slice(0, 40)}".`, 0)
    if (tenant.status !== 'active')
      return reject('suspended', `Tenant "${tenant.name}" is ${tenant.status}; resume it to allow solves.`, 0)
    if (closing.signal.aborted)
      return reject('shutting_down', 'CaptchaDesk is shutting down; try again in a moment.', 5_000)
    const parsed = parseCaptchaRequest(request)
    if (!parsed.success)
      return reject('invalid_request', `Invalid captcha request: ${describeIssues(parsed.error)}`, 0)
    const req = parsed.data
    let key: { apiKey: string; providerAccount: string }
    try {
      key = deps.keys.resolve(tenant)
    } catch (err) {
      return reject('no_key', (err as Error).message, 0)
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
      return reject(admission.limit, admission.message, admission.retryAfterMs)
    }
    track(attemptId, tenant.id)
    const work = runAdmitted({
      tenant,
      captchaType: req.type,
      request: req,
      key,
      reservation: admission.reservation,
      attemptId,
      costMicros,
      priceMicros,
      options: opts,
    })
    running.add(work)
    // Not `return await work`: this function's frame (the raw request, an image's base64 among it) would stay alive
    // for the whole solve, and every solve in flight would carry it through each young-generation GC.
    return work.finally(() => {
      running.delete(work)
      untrack(attemptId)
    })
  }

  /**
   * The provider's solve, given the request for the last time. Not inline in runAdmitted: a suspended async function
   * keeps its registers, and a task's image would stay in memory for as long as the answer takes (measured: one base64
   * body per task in flight), not only until in.php has sent it.
   */
  function sendUpstream(a: AdmittedSolve, options: SolveOptions): Promise<TaskOutcome> {
    const request = a.request
    if (request === undefined) throw new Error('solve: the request was sent upstream already')
    a.request = undefined
    return deps.provider.solve(a.key.apiKey, request, options)
  }

  async function runAdmitted(a: AdmittedSolve): Promise<SolveResult> {
    const { tenant, attemptId, reservation } = a
    const emit = emitter(a.options)
    let released = false
    const release = (solved: boolean, price: number): void => {
      if (released) return
      released = true
      gate.release(reservation, { solved, priceMicros: price, now: now() })
    }
    let taskId: string | null = null
    /** The caller's listener stopped the solve (onAccepted answered false): it ends cancelled, even in a shutdown. */
    let stopped = false
    let submittedAt: number | null = null
    const end = (result: SolveResult): SolveResult => {
      emit({ stage: 'ended', attemptId, tenantId: tenant.id, result, at: now() })
      return result
    }
    const { signal, end: endSignal } = solveSignal(a.options.signal)
    try {
      await deps.ledger.begin({
        attemptId,
        tenantId: tenant.id,
        captchaType: a.captchaType,
        providerAccount: a.key.providerAccount,
        source: a.options.source,
        createdAt: reservation.at,
        reservedMicros: reservation.reservedMicros,
      })
      emit({ stage: 'admitted', attemptId, tenantId: tenant.id, at: now() })
      let outcome: TaskOutcome
      try {
        outcome = await sendUpstream(a, {
          signal,
          timeoutMs: a.options.timeoutMs,
          pingbackUrl: a.options.pingbackUrl,
          onSubmitted: async (s) => {
            taskId = s.taskId
            submittedAt = s.submittedAt
            // The 2captcha protocol has no idempotency key: a task the upstream accepted but whose id we never
            // recorded cannot be matched after a crash. The id is committed (kill-safe; it shares the tick's group
            // commit with its neighbours) before the caller is told (the gateway answers in.php on this event). A
            // clash with an id already in the ledger is an upstream fault: it throws here, before anyone is told.
            const recorded = deps.ledger.markSubmitted(attemptId, s.taskId, s.submittedAt)
            // The listener's answer, read once the id is recorded. Its failure is caught now, so that it is never an
            // unhandled rejection when recording fails first; a listener's bug does not stop the solve.
            let keep: Promise<unknown> | undefined
            try {
              const answer = a.options.onAccepted?.({ attemptId, taskId: s.taskId })
              if (answer && typeof answer.then === 'function')
                keep = Promise.resolve(answer).catch(() => true)
            } catch {
              // a listener's bug does not stop the solve (see above)
            }
            try {
              await recorded
            } catch (err) {
              if (!(err instanceof UpstreamTaskClashError)) throw err
              deps.log?.(
                'error',
                'solve: the upstream gave a task id the ledger already has (id collision)',
                {
                  attemptId,
                  providerAccount: a.key.providerAccount,
                  upstreamTaskId: s.taskId,
                },
              )
              throw new ProviderError(
                'UPSTREAM_ID_COLLISION',
                'fail_task',
                'The upstream gave a task id that is already in the ledger; the task was not used or billed.',
              )
            }
            if (keep && (await keep) === false) {
              stopped = true
              throw new ProviderError(
                'CANCELLED',
                'fail_task',
                'Stopped: the task could not be stored for its caller; it was not billed.',
              )
            }
            gate.submitted(reservation, now())
            emit({ stage: 'submitted', attemptId, tenantId: tenant.id, taskId: s.taskId, at: now() })
          },
        })
      } catch (err) {
        if (closing.signal.aborted && !a.options.signal?.aborted && !stopped)
          return end(leftOpen(a, taskId, release))
        // Submit failed (never accepted upstream), or recording the task id failed.
        const code = err instanceof ProviderError ? err.code : 'INTERNAL_ERROR'
        const message =
          err instanceof ProviderError
            ? err.message
            : 'An internal error stopped this solve; it was not billed.'
        if (!(err instanceof ProviderError))
          deps.log?.('error', 'solve: unexpected error while solving', {
            attemptId,
            error: (err as Error).message,
          })
        const status = code === 'CANCELLED' ? 'cancelled' : 'failed'
        const endedAt = now()
        await deliver(attemptId, { status, code })
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
      if (outcome.status === 'cancelled' && closing.signal.aborted && !a.options.signal?.aborted)
        return end(leftOpen(a, taskId, release))
      const result = await settleOutcome(tenant, attemptId, outcome, a.costMicros, a.priceMicros)
      release(result.status === 'solved', result.status === 'solved' ? a.priceMicros : 0)
      return end(result)
    } catch (err) {
      // The ledger itself failed (begin or settle). Nothing is billed; the attempt, if it was written, stays open
      // and the next start-up settles it from the upstream's answer.
      deps.log?.('error', 'solve: the ledger could not record this solve', {
        attemptId,
        error: (err as Error).message,
      })
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
      endSignal()
      notifySettled(tenant.id)
    }
  }

  /** Shutdown reached this solve: it stays open in the ledger (its capacity is given back) for the next start. */
  function leftOpen(
    a: AdmittedSolve,
    taskId: string | null,
    release: (s: boolean, p: number) => void,
  ): SolveResult {
    release(false, 0)
    return {
      status: 'cancelled',
      attemptId: a.attemptId,
      taskId,
      code: 'SHUTDOWN',
      message:
        'CaptchaDesk stopped while this solve was running; it is settled from the upstream after restart.',
      keyProblem: false,
    }
  }

  /** Hands the outcome to the result sink; a failed write of an answer means the solve cannot be billed. */
  async function deliver(attemptId: string, o: DeliveredOutcome): Promise<boolean> {
    if (!deps.results) return true
    try {
      await deps.results.deliver(attemptId, o)
      return true
    } catch (err) {
      deps.log?.('error', 'solve: the result could not be stored for the tenant', {
        attemptId,
        error: (err as Error).message,
      })
      return false
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
      // The answer is stored where the tenant fetches it before the solve is billed: nothing billed is unfetchable.
      if (!(await deliver(attemptId, { status: 'solved', answer: o.answer, priceMicros: price }))) {
        await deps.ledger.settle(attemptId, {
          status: 'failed',
          errorCode: 'ANSWER_NOT_STORED',
          endedAt: o.readyAt,
          threadMs: o.readyAt - o.submittedAt,
        })
        return {
          status: 'failed',
          attemptId,
          taskId: o.taskId,
          code: 'ANSWER_NOT_STORED',
          message: 'The answer could not be stored for the tenant; it was not billed.',
          keyProblem: false,
        }
      }
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
    await deliver(attemptId, { status: o.status, code })
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

  const recovery = createRecovery({
    ...deps,
    gate,
    closing: closing.signal,
    running,
    live,
    track,
    untrack,
    notifySettled,
    deliver,
    settleOutcome,
  })

  return {
    solve: (tenantId, request, options) => solve(tenantId, request, options),
    recoverOpenAttempts: () => recovery.recoverOpenAttempts(),
    inFlight: (tenantId?: string) => (tenantId === undefined ? live.size : (perTenant.get(tenantId) ?? 0)),
    inFlightByTenant: () => new Map(perTenant),
    waiting: () => gate.waiting(),
    async drain() {
      while (running.size > 0) await Promise.allSettled([...running])
    },
    async shutdown(graceMs) {
      const deadline = Date.now() + Math.max(0, graceMs)
      while (running.size > 0 && Date.now() < deadline) {
        const left = deadline - Date.now()
        await Promise.race([
          Promise.allSettled([...running]),
          new Promise((r) => setTimeout(r, Math.min(left, 250)).unref()),
        ])
      }
      closing.abort()
      while (running.size > 0) await Promise.allSettled([...running])
    },
  }
}
