/**
 * The metering ledger's narrow interface. SQLite (node:sqlite) implements it here; a PostgreSQL implementation
 * could take its place without touching the solve service. Times are ms since the epoch (UTC). Money is Micros.
 */
import type { CaptchaType } from '@shared/captcha'
import type { Micros } from '@shared/money'
import type { TenantId } from '@shared/tenant'

/**
 * pending:   admitted, reservation held, not (yet known to be) accepted upstream
 * submitted: upstream accepted it (upstreamTaskId known), reservation held
 * solved:    billed (the only billable status)
 * failed / timed_out / cancelled / expired: ended, never billed
 * rejected:  refused by admission control (limit) or input validation; never reached upstream
 */
export type AttemptStatus =
  'pending' | 'submitted' | 'solved' | 'failed' | 'timed_out' | 'cancelled' | 'expired' | 'rejected'
export const OPEN_STATUSES: readonly AttemptStatus[] = ['pending', 'submitted']

/** markSubmitted found the upstream task id already recorded for another attempt (an upstream id collision). */
export class UpstreamTaskClashError extends Error {
  override name = 'UpstreamTaskClashError'
}

export type AttemptSource = 'console' | 'gateway' | 'api'

export interface AttemptRecord {
  /** Our id for the attempt (random, unique). Idempotency key on our side. */
  attemptId: string
  tenantId: TenantId
  captchaType: CaptchaType
  /** Which upstream account served it: `${providerId}:${keyFingerprint}` — never the key itself. */
  providerAccount: string
  /** Unique per providerAccount: a retried write never makes a second row. */
  upstreamTaskId: string | null
  status: AttemptStatus
  /** Upstream or limit code for failed/rejected/timed_out (e.g. ERROR_CAPTCHA_UNSOLVABLE, LIMIT_DAILY). */
  errorCode: string | null
  source: AttemptSource
  createdAt: number
  submittedAt: number | null
  readyAt: number | null
  endedAt: number | null
  /** Thread time held upstream: readyAt (or endedAt) - submittedAt. */
  threadMs: number
  /** What the operator pays for this solve under a per-solve price list (0 unless solved). */
  costMicros: Micros
  /** What the tenant is billed (0 unless solved). */
  priceMicros: Micros
  /** Cost held against the monthly budget while open. */
  reservedMicros: Micros
}

export interface BeginAttempt {
  attemptId: string
  tenantId: TenantId
  captchaType: CaptchaType
  providerAccount: string
  source: AttemptSource
  createdAt: number
  reservedMicros: Micros
}

export type SettleOutcome =
  | {
      status: 'solved'
      readyAt: number
      endedAt: number
      threadMs: number
      costMicros: Micros
      priceMicros: Micros
    }
  | {
      status: 'failed' | 'timed_out' | 'cancelled' | 'expired'
      errorCode: string | null
      endedAt: number
      threadMs: number
    }

export interface Ledger {
  /** Durably records an admitted attempt (status pending) before anything is sent upstream. */
  begin(attempt: BeginAttempt): Promise<void>
  /** Records the upstream task id. Idempotent for the same (attemptId, taskId). */
  markSubmitted(attemptId: string, upstreamTaskId: string, submittedAt: number): Promise<void>
  /**
   * Commits the writes queued so far now instead of at the next group commit, without waiting for an fsync: they
   * survive a process kill at once (the OS has them) and a power cut from the next durable commit on. For the
   * upstream task id, where a wait would leave a window in which an accepted task cannot be matched after a kill.
   */
  commitSoon(): void
  /** Ends an open attempt. Idempotent: settling an already-ended attempt is a no-op returning false. */
  settle(attemptId: string, outcome: SettleOutcome): Promise<boolean>
  /** A refusal (limit or bad input) that never reached upstream; kept for usage and audit, never billed. */
  recordRejection(r: Omit<BeginAttempt, 'reservedMicros'> & { errorCode: string }): Promise<void>
  get(attemptId: string): AttemptRecord | undefined
  findByUpstreamTask(providerAccount: string, upstreamTaskId: string): AttemptRecord | undefined
  /** Attempts still pending/submitted (after a crash: the ones to settle at start-up). */
  openAttempts(): AttemptRecord[]
  /**
   * Streams attempts in [fromMs, toMs) ordered by (endedAt, attemptId) — for billing exports over millions of rows.
   * `statuses` defaults to all.
   */
  iterate(q: {
    tenantId?: TenantId
    fromMs: number
    toMs: number
    statuses?: AttemptStatus[]
    by?: 'endedAt' | 'createdAt'
  }): Iterable<AttemptRecord>
  close(): Promise<void>
}
