import type { CaptchaRequest, CaptchaType } from '@shared/captcha'
import type { Micros } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import type { LimitKind } from '../admission/types'
import type { AttemptRecord, AttemptSource } from '../ledger/types'

/** Which upstream key serves a tenant: own mode → the tenant's key, shared mode → the platform key. */
export interface KeyResolver {
  resolve(tenant: Tenant): { apiKey: string; providerAccount: string }
}

export interface Pricing {
  /** What the operator pays the upstream for one solve (per-solve price list; plan-mode costs are allocated later). */
  costOf(type: CaptchaType, providerAccount: string): Micros
  /** What the tenant is billed for one solve. */
  priceOf(tenant: Tenant, type: CaptchaType, costMicros: Micros): Micros
}

export type SolveProgress =
  | { stage: 'admitted'; attemptId: string; tenantId: string; at: number }
  | { stage: 'submitted'; attemptId: string; tenantId: string; taskId: string; at: number }
  | { stage: 'ended'; attemptId: string; tenantId: string; result: SolveResult; at: number }

export type SolveResult =
  | {
      status: 'solved'
      attemptId: string
      taskId: string
      answer: string
      threadMs: number
      priceMicros: Micros
      costMicros: Micros
    }
  | {
      status: 'rejected'
      attemptId: string
      limit: LimitKind | 'invalid_request' | 'no_key' | 'shutting_down'
      message: string
      retryAfterMs: number
    }
  | {
      status: 'failed' | 'timed_out' | 'cancelled'
      attemptId: string
      taskId: string | null
      code: string
      message: string
      /** stop_key: the key itself is refused upstream (operator action needed). */
      keyProblem: boolean
    }

/** Counts refusals per tenant and code (no ledger row: refusals are statistics, never money). */
export interface RefusalSink {
  count(tenantId: string, code: string, at: number): void
}

/** What a result sink receives: an answer with the price the tenant is billed for it, or a failure code. */
export type DeliveredOutcome =
  { status: 'solved'; answer: string; priceMicros: number } | { status: string; code: string }

/**
 * Where a solve's outcome goes for its caller to fetch later (the gateway's task store). `deliver` runs before a
 * solve is billed and must make the answer durable; if it throws, the solve is not billed. `deliverable` tells
 * recovery whether anyone was ever told about an attempt (an untold one is not billed).
 */
export interface ResultSink {
  deliver(attemptId: string, outcome: DeliveredOutcome): void | Promise<void>
  deliverable?(attempt: AttemptRecord): boolean
}

export interface SolveCallOptions {
  source: AttemptSource
  signal?: AbortSignal
  timeoutMs?: number
  pingbackUrl?: string
  onProgress?: (event: SolveProgress) => void
  /**
   * The upstream took the task and its id is being recorded: called before that write commits, so a write queued
   * here on the ledger's group commit (the gateway's task row) commits with it, in one transaction (each write still
   * rolls back alone if it fails). The 'submitted' progress event follows once the id is recorded. A listener's
   * error is ignored. A listener that answers a promise of `false` stops the solve before it waits for the answer
   * (nobody could fetch it: the gateway's task row was not stored): it ends cancelled, unbilled.
   */
  onAccepted?: (accepted: { attemptId: string; taskId: string }) => void | Promise<boolean>
  /** Overrides the service's bounded wait for a free slot (concurrency / shared threads), ms. */
  queueWaitMs?: number
}

export interface SolveService {
  solve(tenantId: string, request: CaptchaRequest, options: SolveCallOptions): Promise<SolveResult>
  /** Settles attempts a crash left open: asks the upstream about submitted ones; pending ones expire. */
  recoverOpenAttempts(): Promise<RecoveryReport>
  /** Solves this process is running (admitted, not yet ended), in all or for one tenant. */
  inFlight(tenantId?: string): number
  inFlightByTenant(): Map<string, number>
  /** Requests waiting for a free slot now. */
  waiting(): number
  /** Waits for every solve in flight to end. */
  drain(): Promise<void>
  /**
   * Stops admitting, lets running solves finish for up to `graceMs`, then stops waiting for the rest: those stay
   * open in the ledger (their capacity is given back) and the next start settles them from the upstream.
   */
  shutdown(graceMs: number): Promise<void>
}

export interface RecoveryReport {
  /** Settled solved (billed once) from the upstream's answer. */
  solved: number
  /** The upstream answered with an error: failed, unbilled. */
  failed: number
  /** The upstream could not be asked (no key, unreachable): expired UNKNOWN_AFTER_RESTART, unbilled. */
  expired: number
  /** Not ready yet: waited for in the background (see drain()). */
  stillRunning: number
  /** Pending without a task id (killed between submit and recording it): expired SUBMIT_UNCONFIRMED, unbilled. */
  unconfirmed: number
}
