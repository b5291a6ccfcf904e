/** The invoice builder's SQL and small helpers (split out of invoice-builder.ts). */
import { createHash } from 'node:crypto'
import { CAPTCHA_TYPE_LABELS, type CaptchaType } from '@shared/captcha'
import type { Database } from '../ledger/database'
import { parseMonth } from '../time/zoned'
import type { Invoice, Segment } from './invoice-builder'
import { withTerms } from './invoice-terms'

export const MIN = Number.MIN_SAFE_INTEGER
export const MAX = Number.MAX_SAFE_INTEGER
/** Rows of a segment: ended in [?, ?) and recorded in [?, ?). */
const SEGMENT_WHERE = `tenant_id = ? AND status = 'solved' AND ended_at >= ? AND ended_at < ? AND settled_at >= ? AND settled_at < ?`

export function label(t: CaptchaType): string {
  return CAPTCHA_TYPE_LABELS[t] ?? t
}

/** [tenant, ended from, ended to, recorded from, recorded to] — the segment's bounds as two half-open ranges. */
export function segmentArgs(
  tenantId: string,
  s: Segment,
  endedFrom = s.endedFrom,
): [string, number, number, number, number] {
  const settledFrom = Math.max(s.settledAfter === MIN ? MIN : s.settledAfter + 1, s.settledFrom)
  const settledTo = Math.min(s.settledTo, s.upTo === MAX ? MAX : s.upTo + 1)
  return [tenantId, endedFrom, s.endedTo, settledFrom, settledTo]
}

export function groupsQuery(db: Database, index: string) {
  return db.prepare(
    `SELECT captcha_type, price_micros, COUNT(*) AS n, SUM(price_micros) AS amount, SUM(cost_micros) AS cost,
     SUM(thread_ms) AS thread_ms FROM attempts INDEXED BY ${index} WHERE ${SEGMENT_WHERE}
     GROUP BY captcha_type, price_micros`,
  )
}

/**
 * Keyset pagination in (ended_at, attempt_id) order. The only lower bound on ended_at is the keyset position, so
 * the index seek starts there (with two, SQLite may seek on the month's start and rescan every earlier chunk).
 */
export function chunkQuery(db: Database, index: string) {
  const q = db.prepare(
    `SELECT attempt_id, upstream_task_id, captcha_type, ended_at, thread_ms, cost_micros, price_micros
     FROM attempts INDEXED BY ${index} WHERE ${SEGMENT_WHERE} AND (ended_at > ? OR attempt_id > ?)
     ORDER BY ended_at, attempt_id LIMIT ?`,
  )
  q.setReturnArrays(true)
  return q
}

export function previousMonth(month: string): string {
  const [y, m] = parseMonth(month)
  return m === 1
    ? `${String(y - 1).padStart(4, '0')}-12`
    : `${String(y).padStart(4, '0')}-${String(m - 1).padStart(2, '0')}`
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

export function verified(json: string, hash: string, tenantId: string, month: string): Invoice {
  if (sha256(json) !== hash)
    throw new Error(
      `Stored invoice ${tenantId} ${month} does not match its content hash; the database was altered.`,
    )
  return withTerms(JSON.parse(json) as Invoice)
}
