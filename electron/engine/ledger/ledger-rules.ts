/** The checks every ledger implementation applies the same way (callers across IPC/JS boundaries are not held by types). */
import type { SettleOutcome } from './types'

export class LedgerError extends Error {
  override name = 'LedgerError'
}

/** markSubmitted found the upstream task id already recorded for another attempt (an upstream id collision). */
export class UpstreamTaskClashError extends LedgerError {
  override name = 'UpstreamTaskClashError'
}

const SETTLED_STATUSES = new Set(['solved', 'failed', 'timed_out', 'cancelled', 'expired'])

/** An outcome a ledger may settle with: a final status and finite times. */
export function checkOutcome(o: SettleOutcome): void {
  if (!o || !SETTLED_STATUSES.has(o.status))
    throw new LedgerError(`cannot settle with status ${String((o as { status?: unknown })?.status)}`)
  if (!Number.isFinite(o.endedAt) || !Number.isFinite(o.threadMs))
    throw new LedgerError('endedAt and threadMs must be numbers')
  if (o.status === 'solved' && !Number.isFinite(o.readyAt)) throw new LedgerError('readyAt must be a number')
}

/** A solve's money is integer micros. */
export function checkPriced(o: { costMicros: number; priceMicros: number }): void {
  if (!Number.isSafeInteger(o.costMicros) || !Number.isSafeInteger(o.priceMicros))
    throw new LedgerError('money must be integer micros')
}

/** Thread time as stored: whole ms, never negative. */
export const storedThreadMs = (ms: number): number => Math.max(0, Math.round(ms))
