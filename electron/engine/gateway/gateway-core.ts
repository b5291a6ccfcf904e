/**
 * What every tenant-facing protocol does, once: authenticate a gateway key (bans touch only unknown keys), submit a
 * solve through the engine (admission, ledger, upstream), announce the task id only after the task store has it,
 * read results from the store (so ids survive restarts), reports, balance, and pingbacks to tenants. The protocol
 * surfaces (2captcha v1 in gateway-server.ts, the JSON task API) translate their requests and replies around it.
 * Codes here are the 2captcha v1 codes; other surfaces map them to their own.
 */
import type { CaptchaRequest } from '@shared/captcha'
import type { Micros } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import { pingbackUrl } from '../http/pingback-url'
import { jsonCallbackFor } from './json-api/callbacks'
import { INPUT_CODES, tenantCode } from './tenant-codes'
import type { SolveResult, SolveService } from '../solve'
import type { BadKeyGuard } from './bad-key-guard'
import type { GatewayKeys } from './gateway-keys'
import type { GatewayTask, GatewayTaskStore } from './gateway-tasks'
import { requestPublicUrl } from './public-address'

const NOT_STORED = 'gateway: the task could not be stored; the tenant is not told about it'

/** Limits answer with the codes standard clients already back off on. */
const LIMIT_CODES: Record<string, string> = {
  rate: 'ERROR_NO_SLOT_AVAILABLE',
  concurrency: 'ERROR_NO_SLOT_AVAILABLE',
  shared_capacity: 'ERROR_NO_SLOT_AVAILABLE',
  shutting_down: 'ERROR_NO_SLOT_AVAILABLE',
  daily: 'ERROR_ZERO_BALANCE',
  budget: 'ERROR_ZERO_BALANCE',
  credit: 'ERROR_ZERO_BALANCE',
  suspended: 'ERROR_KEY_DOES_NOT_EXIST',
  unknown_tenant: 'ERROR_KEY_DOES_NOT_EXIST',
  invalid_request: 'ERROR_BAD_PARAMETERS',
  no_key: 'ERROR_SERVER_ERROR',
}

export type AuthResult = { ok: true; tenant: Tenant } | { ok: false; code: string }
export type SubmitReply = { ok: true; taskId: string } | { ok: false; code: string; retryAfterMs?: number }
export type TaskView =
  | { state: 'unknown' }
  | { state: 'pending'; task: GatewayTask }
  | { state: 'solved'; task: GatewayTask; answer: string }
  | { state: 'failed'; task: GatewayTask; code: string }

export interface GatewayCoreDeps {
  keys: GatewayKeys
  solver: SolveService
  tenants: { get(id: string): Tenant | undefined }
  tasks: GatewayTaskStore
  guard: BadKeyGuard
  /** What getbalance reports for a tenant (credit, budget left, or the operator's choice). */
  balance(tenant: Tenant): Micros
  /** Forwards a report to the upstream for the attempt's task. */
  report?(tenant: Tenant, attemptId: string, verdict: 'good' | 'bad'): Promise<void>
  solveTimeoutMs?: () => number | undefined
  now?: () => number
  /** Tests only: lets pingbacks reach a loopback listener. */
  allowLoopbackPingbacks?: boolean
  log?: (level: 'warn' | 'error', message: string, details: Record<string, unknown>) => void
}

export interface GatewayCore {
  authenticate(key: string | undefined, source: string): AuthResult
  /** `callback`: the JSON API's stored callback (json-api/callbacks.ts), sent when the task ends. */
  submit(
    tenant: Tenant,
    request: CaptchaRequest,
    options?: { pingback?: string; callback?: string },
  ): Promise<SubmitReply>
  /** Reads a task of this tenant (another tenant's id is unknown); the first read of an ended task is noted. */
  result(tenant: Tenant, taskId: string): TaskView
  report(tenant: Tenant, taskId: string, verdict: 'good' | 'bad'): Promise<string>
  balance(tenant: Tenant): Micros
  /** While false, new submissions are refused with ERROR_NO_SLOT_AVAILABLE (draining before a stop). */
  setAccepting(accepting: boolean): void
  accepting(): boolean
  readonly guard: BadKeyGuard
  readonly tasks: GatewayTaskStore
}

export function createGatewayCore(deps: GatewayCoreDeps): GatewayCore {
  const now = deps.now ?? Date.now
  let accepting = true

  /**
   * Once a task ends (also when recovery ends it after a restart): the v1 pingback, or the JSON API's callbackUrl
   * (POSTed the getTaskResult reply) — public destinations only, the checked address pinned.
   */
  deps.tasks.onEnded((task) => {
    const allowLoopback = deps.allowLoopbackPingbacks
    if (task.pingback) {
      const code = task.state === 'solved' ? (task.answer ?? '') : tenantCode(task.code)
      const url = pingbackUrl(task.pingback, task.taskId, code)
      if (url) void requestPublicUrl(url, { timeoutMs: 10_000, allowLoopback }).catch(() => undefined)
    }
    const callback = jsonCallbackFor(task)
    if (callback)
      void requestPublicUrl(callback.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: callback.body,
        timeoutMs: 10_000,
        allowLoopback,
      }).catch(() => undefined)
  })

  return {
    guard: deps.guard,
    tasks: deps.tasks,
    authenticate(key, source) {
      const tenantId = typeof key === 'string' ? deps.keys.lookup(key) : undefined
      const tenant = tenantId ? deps.tenants.get(tenantId) : undefined
      if (tenant && tenant.status !== 'deleted') {
        if (tenant.status === 'suspended') return { ok: false, code: 'ERROR_KEY_DOES_NOT_EXIST' }
        return { ok: true, tenant } // a valid key is never refused by a ban on its address
      }
      if (deps.guard.banned(source)) return { ok: false, code: 'IP_BANNED' }
      deps.guard.fail(source, key)
      return {
        ok: false,
        code: (key ?? '').length === 32 ? 'ERROR_KEY_DOES_NOT_EXIST' : 'ERROR_WRONG_USER_KEY',
      }
    },

    submit(tenant, request, options = {}) {
      if (!accepting)
        return Promise.resolve({ ok: false, code: 'ERROR_NO_SLOT_AVAILABLE', retryAfterMs: 5_000 })
      const pingback = options.pingback ? options.pingback.slice(0, 2_000) : null
      // No closure below refers to `request`: they live as long as the solve, and an image's base64 body held by them
      // would stay in memory (and be copied by every young-generation GC) until the task ends, not only until it is
      // sent upstream.
      const captchaType = request.type
      let resolve!: (reply: SubmitReply) => void
      // Answer as soon as the upstream has accepted the task (or it was refused); the wait continues in the background.
      const reply = new Promise<SubmitReply>((r) => (resolve = r))
      let announced = false
      /**
       * The task row, queued with the ledger's write of the upstream's id (one commit; either write rolls back
       * alone if it fails): the tenant's task id once it is stored, undefined if it could not be.
       */
      let stored: Promise<string | undefined> | undefined
      const done = (r: SolveResult): void => {
        if (announced) return
        if (r.status === 'rejected')
          return resolve({
            ok: false,
            code: LIMIT_CODES[r.limit] ?? 'ERROR_SERVER_ERROR',
            retryAfterMs: r.retryAfterMs,
          })
        // Ended before the upstream took it (or before we could announce it): say so in the protocol's words.
        const code =
          r.status === 'failed' && !r.keyProblem && INPUT_CODES.test(r.code)
            ? r.code
            : 'ERROR_NO_SLOT_AVAILABLE'
        resolve({ ok: false, code })
      }
      deps.solver
        .solve(tenant.id, request, {
          // No signal of its own: the solve service's shutdown reaches it, and a task row that fails stops it through
          // onAccepted's answer (an AbortController per task would stay in memory for the whole solve).
          source: 'gateway',
          timeoutMs: deps.solveTimeoutMs?.(),
          onAccepted: ({ attemptId }) => {
            stored = deps.tasks
              .announce({
                tenantId: tenant.id,
                attemptId,
                captchaType,
                pingback,
                callback: options.callback ?? null,
                createdAt: now(),
              })
              .catch((err: unknown) => {
                deps.log?.('error', NOT_STORED, { attemptId, error: (err as Error).message })
                return undefined
              })
            // Never announced: nobody could fetch it, so it must not be billed — the solve stops (ends cancelled).
            return stored.then((taskId) => taskId !== undefined)
          },
          onProgress: (e) => {
            // The upstream's id is recorded; the tenant is told once its task row is stored too.
            if (e.stage !== 'submitted' || !stored) return
            void stored.then((taskId) => {
              // undefined never gets here ('submitted' follows only onAccepted's true); the check narrows the type.
              if (taskId === undefined || announced) return
              announced = true
              resolve({ ok: true, taskId })
            })
          },
        })
        .then(done, (err: unknown) => {
          deps.log?.('error', 'gateway: the solve failed unexpectedly', { error: (err as Error)?.message })
          if (!announced) resolve({ ok: false, code: 'ERROR_SERVER_ERROR' })
        })
      return reply
    },

    result(tenant, taskId) {
      const task = deps.tasks.get(taskId)
      if (!task || task.tenantId !== tenant.id) return { state: 'unknown' }
      if (task.state === 'pending') return { state: 'pending', task }
      if (task.fetchedAt === null) deps.tasks.markFetched(taskId, now())
      if (task.state === 'solved') return { state: 'solved', task, answer: task.answer ?? '' }
      return { state: 'failed', task, code: tenantCode(task.code) }
    },

    async report(tenant, taskId, verdict) {
      const task = deps.tasks.get(taskId)
      if (!task || task.tenantId !== tenant.id || task.state !== 'solved') return 'ERROR_REPORT_NOT_RECORDED'
      if (!deps.tasks.markReported(taskId, now())) return 'ERROR_DUPLICATE_REPORT'
      await deps.report?.(tenant, task.attemptId, verdict).catch(() => undefined)
      return 'OK_REPORT_RECORDED'
    },

    balance: (tenant) => deps.balance(tenant),
    setAccepting(v) {
      accepting = v
    },
    accepting: () => accepting,
  }
}
