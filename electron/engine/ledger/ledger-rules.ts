/** The checks every ledger implementation applies the same way (callers across IPC/JS boundaries are not held by types). */
import type { BeginAttempt, SettleOutcome } from './types'

class LedgerError extends Error {
  override name = 'LedgerError'
}

/** markSubmitted found the upstream task id already recorded for another attempt (an upstream id collision). */
export class UpstreamTaskClashError extends LedgerError {
  override name = 'UpstreamTaskClashError'
}

const SETTLED_STATUSES = new Set(['solved', 'failed', 'timed_out', 'cancelled', 'expired'])

/** An outcome a ledger may settle with: a final status and finite times. */
function checkOutcome(o: SettleOutcome): void {
  if (!o || !SETTLED_STATUSES.has(o.status))
    throw new LedgerError(`cannot settle with status ${String((o as { status?: unknown })?.status)}`)
  if (!Number.isFinite(o.endedAt) || !Number.isFinite(o.threadMs))
    throw new LedgerError('endedAt and threadMs must be numbers')
  if (o.status === 'solved' && !Number.isFinite(o.readyAt)) throw new LedgerError('readyAt must be a number')
}

/** A solve's money is integer micros. */
function checkPriced(o: { costMicros: number; priceMicros: number }): void {
  if (!Number.isSafeInteger(o.costMicros) || !Number.isSafeInteger(o.priceMicros))
    throw new LedgerError('money must be integer micros')
}

/** Thread time as stored: whole ms, never negative. */
export const storedThreadMs = (ms: number): number => Math.max(0, Math.round(ms))

/** An outcome to settle with, checked in full: the outcome itself and, for a solve, its money. */
export function checkSettle(o: SettleOutcome): void {
  checkOutcome(o)
  if (o.status === 'solved') checkPriced(o)
}

/**
 * begin's rule: a finite creation time; beginning an attempt again is a no-op for its own tenant and an error for
 * another. Returns whether the attempt is new (to be inserted).
 */
export function isNewAttempt(a: BeginAttempt, existingTenantId: string | undefined): boolean {
  if (!Number.isFinite(a.createdAt)) throw new LedgerError('createdAt must be a number')
  if (existingTenantId === undefined) return true
  if (existingTenantId !== a.tenantId)
    throw new LedgerError(`attempt ${a.attemptId} already belongs to another tenant`)
  return false
}

/** The attempt's row, or an error naming the unknown attempt. */
export function known<R>(row: R | undefined, attemptId: string): R {
  if (!row) throw new LedgerError(`unknown attempt ${attemptId}`)
  return row
}

/**
 * markSubmitted's rule: the same task id again is a no-op; otherwise the attempt must be pending and the task id not
 * recorded for another attempt (`clashingAttempt` looks it up). Returns whether to record it.
 */
export function isNewSubmission(
  attempt: { attemptId: string; status: string; upstreamTaskId: string | null },
  upstreamTaskId: string,
  clashingAttempt: () => string | undefined,
): boolean {
  if (attempt.upstreamTaskId === upstreamTaskId) return false
  if (attempt.status !== 'pending')
    throw new LedgerError(`attempt ${attempt.attemptId} is ${attempt.status}, not pending`)
  const clash = clashingAttempt()
  if (clash !== undefined)
    throw new UpstreamTaskClashError(
      `upstream task ${upstreamTaskId} is already recorded for attempt ${clash}`,
    )
  return true
}
