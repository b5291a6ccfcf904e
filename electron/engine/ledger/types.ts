/**
 * The metering ledger's interface: the writes the solve service makes and every read other components need (usage,
 * admission, alerts, billing) — nobody else touches its tables. Implemented on SQLite (sqlite-ledger.ts) and in
 * memory (memory-ledger.ts); both pass the same contract suite (test/unit/ledger/ledger-contract.ts), where a
 * PostgreSQL implementation would be added. Times are ms since the epoch (UTC). Money is Micros.
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

/** A tenant's ended attempts summed by status and error code: what the usage screens show. */
export interface UsageTotal {
  status: AttemptStatus
  errorCode: string | null
  count: number
  threadMs: number
  costMicros: Micros
  priceMicros: Micros
}

/** Usage is kept per 15-minute UTC bucket of the end time (every zone's offset is a multiple of 15 minutes). */
export const BUCKET_MS = 15 * 60_000

/** The whole buckets inside [fromMs, toMs): [first start, end of the last), empty (lo >= hi) when there are none. */
export function wholeBuckets(fromMs: number, toMs: number): [lo: number, hi: number] {
  return [Math.ceil(fromMs / BUCKET_MS) * BUCKET_MS, Math.floor(toMs / BUCKET_MS) * BUCKET_MS]
}

/**
 * A tenant's solved rows that ended in [endedFrom, endedTo) and were recorded (settled) in [settledFrom, settledTo):
 * one slice of an invoice. `selective` says which bound narrows it most ('ended': a month's own usage; 'settled':
 * late usage recorded in this period) — a hint an implementation may use to pick its index.
 */
export interface SolvedSlice {
  tenantId: TenantId
  endedFrom: number
  endedTo: number
  settledFrom: number
  settledTo: number
  selective: 'ended' | 'settled'
}

/** Per-(type, unit price) sums of a slice. */
export interface SolvedGroup {
  captchaType: CaptchaType
  priceMicros: Micros
  count: number
  amountMicros: Micros
  costMicros: Micros
  threadMs: number
}

/** A solved row as exports read it: [attemptId, upstreamTaskId, type, endedAt, threadMs, costMicros, priceMicros]. */
export type SolvedRow = [string, string | null, CaptchaType, number, number, number, number]

/**
 * Solved rows as an invoice's detail lists them, by column: row i is `taskIds[i]`, `types[i]` and
 * `numbers[4i .. 4i+3]` = endedAt, threadMs, costMicros, priceMicros (whole numbers, exact in a double).
 */
export interface SolvedDetailChunk {
  taskIds: Array<string | null>
  types: CaptchaType[]
  numbers: Float64Array
}

/** Solved usage of one upstream account per tenant and type (cost allocation). */
export interface AccountUsageRow {
  tenantId: TenantId
  captchaType: CaptchaType
  solves: number
  threadMs: number
  costMicros: Micros
}

export interface Ledger {
  /**
   * Records an admitted attempt (status pending) before anything is sent upstream. Resolves once a kill of the
   * process cannot lose it; it reaches the disk with the next durable commit (scheduled within 25 ms: a power cut can lose that window).
   */
  begin(attempt: BeginAttempt): Promise<void>
  /** Records the upstream task id, kill-safe like begin. Idempotent for the same (attemptId, taskId). */
  markSubmitted(attemptId: string, upstreamTaskId: string, submittedAt: number): Promise<void>
  /**
   * Commits the writes queued so far now (also done by close): kill-safe when it returns; durable writes resolve once
   * they are on disk.
   */
  flush(): void
  /** Ends an open attempt, durably (on disk when it resolves). Idempotent: settling an ended one returns false. */
  settle(attemptId: string, outcome: SettleOutcome): Promise<boolean>
  get(attemptId: string): AttemptRecord | undefined
  findByUpstreamTask(providerAccount: string, upstreamTaskId: string): AttemptRecord | undefined
  /** The tenant's latest attempts, newest (by creation) first. */
  recent(tenantId: TenantId, limit: number): AttemptRecord[]
  /** Attempts still pending/submitted (after a crash: the ones to settle at start-up). */
  openAttempts(): AttemptRecord[]

  // Usage, admission and alerts
  /** Attempts admitted in [start, end) that are solved or still open: what counts against a daily limit. */
  countForDay(tenantId: TenantId, startMs: number, endMs: number): { solved: number; open: number }
  /** Price of solves ended in [start, end) and reservations of open attempts created then. */
  spendForMonth(
    tenantId: TenantId,
    startMs: number,
    endMs: number,
  ): { spentMicros: Micros; reservedMicros: Micros }
  /** Open (pending/submitted) attempts per tenant. */
  openByTenant(): Map<TenantId, number>
  /**
   * A tenant's ended attempts whose 15-minute bucket of endedAt starts in [fromMs, toMs), summed by status and error
   * code (open attempts are not usage yet). A local day or month is whole buckets, so its bounds select it exactly.
   */
  usageTotals(q: { tenantId: TenantId; fromMs: number; toMs: number }): UsageTotal[]

  // Billing
  /** End time of the tenant's first solve, if any. */
  firstSolveAt(tenantId: TenantId): number | undefined
  solvedGroups(slice: SolvedSlice): SolvedGroup[]
  /** A slice's rows after `after` in (endedAt, attemptId) order, at most `limit` (keyset pagination). */
  solvedRows(slice: SolvedSlice, after: { endedAt: number; attemptId: string }, limit: number): SolvedRow[]
  /** All of a slice's rows in (endedAt, attemptId) order, in chunks: what an invoice's detail file lists. */
  solvedDetail(slice: SolvedSlice): AsyncIterable<SolvedDetailChunk>
  /**
   * Billed price of the tenant's solves admitted (created) inside any of `createdIn` (half-open, not overlapping),
   * recorded at or before `settledUpTo` and ended in [endedFrom, endedTo) — prepaid credit used.
   */
  solvedPriceCreatedIn(
    tenantId: TenantId,
    createdIn: ReadonlyArray<{ from: number; to: number }>,
    q: { settledUpTo: number; endedFrom: number; endedTo: number },
  ): Micros
  /** Solves of one upstream account ended in [from, to), per tenant and type, ordered by tenant. */
  solvedByAccount(providerAccount: string, fromMs: number, toMs: number): AccountUsageRow[]

  close(): Promise<void>
}
