/** The ledger's billing reads on SQLite: invoice slices (sums and keyset pages) and per-account usage. */
import type { CaptchaType } from '@shared/captcha'
import type { Database } from '../db/database'
import { firstPageThen, pagedSolvedDetail, workerSolvedDetail } from './solved-detail'
import { wholeBuckets, type Ledger, type SolvedGroup, type SolvedRow, type SolvedSlice } from './types'

type BillingReads = Pick<
  Ledger,
  'firstSolveAt' | 'solvedGroups' | 'solvedRows' | 'solvedDetail' | 'solvedByAccount' | 'solvedPriceCreatedIn'
>

/** Rows of a slice: ended in [?, ?) and recorded in [?, ?). */
const SLICE_WHERE = `tenant_id = ? AND status = 'solved' AND ended_at >= ? AND ended_at < ? AND settled_at >= ? AND settled_at < ?`
/**
 * Index per slice: a month's own usage by end time; late usage by record time (few rows recorded in this period for
 * an earlier month — the covering index filters them without touching the table).
 */
const INDEX = { ended: 'attempts_tenant_ended', settled: 'attempts_tenant_settled' } as const

const sliceArgs = (q: SolvedSlice, endedFrom = q.endedFrom): [string, number, number, number, number] => [
  q.tenantId,
  endedFrom,
  q.endedTo,
  q.settledFrom,
  q.settledTo,
]

interface GroupRow {
  captcha_type: string
  price_micros: number
  n: number
  amount: number
  cost: number
  thread_ms: number
}

const groupsOf = (rows: unknown[]): SolvedGroup[] =>
  (rows as GroupRow[]).map((r) => ({
    captchaType: r.captcha_type as CaptchaType,
    priceMicros: Number(r.price_micros),
    count: Number(r.n),
    amountMicros: Number(r.amount),
    costMicros: Number(r.cost),
    threadMs: Number(r.thread_ms),
  }))

/** Sums the groups of the same (type, unit price). */
function mergeGroups(parts: SolvedGroup[]): SolvedGroup[] {
  const byKey = new Map<string, SolvedGroup>()
  for (const g of parts) {
    const key = `${g.captchaType}\u0000${g.priceMicros}`
    const had = byKey.get(key)
    if (!had) byKey.set(key, { ...g })
    else {
      had.count += g.count
      had.amountMicros += g.amountMicros
      had.costMicros += g.costMicros
      had.threadMs += g.threadMs
    }
  }
  return [...byKey.values()]
}

/** Rows of an invoice's detail read on the calling thread before a worker takes over (see firstPageThen). */
const FIRST_PAGE_ROWS = 5_000

export function sqliteBillingReads(db: Database, options: { firstPageRows?: number } = {}): BillingReads {
  const firstPageRows = options.firstPageRows ?? FIRST_PAGE_ROWS
  const groups = (index: string) =>
    db.prepare(
      `SELECT captcha_type, price_micros, COUNT(*) AS n, SUM(price_micros) AS amount, SUM(cost_micros) AS cost,
       SUM(thread_ms) AS thread_ms FROM attempts INDEXED BY ${index} WHERE ${SLICE_WHERE}
       GROUP BY captcha_type, price_micros`,
    )
  /**
   * Keyset pagination in (ended_at, attempt_id) order. The only lower bound on ended_at is the keyset position, so
   * the index seek starts there (with two, SQLite may seek on the month's start and rescan every earlier page).
   */
  const pageSql = (index: string) =>
    `SELECT attempt_id, upstream_task_id, captcha_type, ended_at, thread_ms, cost_micros, price_micros
     FROM attempts INDEXED BY ${index} WHERE ${SLICE_WHERE} AND (ended_at > ? OR attempt_id > ?)
     ORDER BY ended_at, attempt_id LIMIT ?`
  /** The rest of a slice after a keyset position, in one statement (a worker reads it inside one transaction). */
  const restSql = (index: string) =>
    `SELECT upstream_task_id, captcha_type, ended_at, thread_ms, cost_micros, price_micros
     FROM attempts INDEXED BY ${index} WHERE ${SLICE_WHERE} AND (ended_at > ? OR attempt_id > ?)
     ORDER BY ended_at, attempt_id`
  const page = (index: string) => {
    const q = db.prepare(pageSql(index))
    q.setReturnArrays(true)
    return q
  }
  // A file database is read on a worker thread (./solved-detail.ts); an in-memory one (tests) on this thread.
  // (location() is there from Node 22.16 / 24; without it, the same rows are read here.)
  const file = typeof db.location === 'function' ? db.location() : null
  const s = {
    firstSolve: db.prepare(
      "SELECT MIN(ended_at) AS first FROM attempts WHERE tenant_id = ? AND status = 'solved' AND ended_at IS NOT NULL",
    ),
    groups: { ended: groups(INDEX.ended), settled: groups(INDEX.settled) },
    rollupGroups: db.prepare(
      `SELECT captcha_type, unit_price AS price_micros, SUM(n) AS n, SUM(price_micros) AS amount,
       SUM(cost_micros) AS cost, SUM(thread_ms) AS thread_ms FROM usage_rollup
       WHERE tenant_id = ? AND bucket_start >= ? AND bucket_start < ? AND status = 'solved'
       GROUP BY captcha_type, unit_price`,
    ),
    // The tenant's first and last record times, each one step down its index (min and max in one query would scan).
    firstSettled: db.prepare(
      'SELECT MIN(settled_at) AS v FROM attempts INDEXED BY attempts_tenant_settled WHERE tenant_id = ? AND settled_at IS NOT NULL',
    ),
    lastSettled: db.prepare(
      'SELECT MAX(settled_at) AS v FROM attempts INDEXED BY attempts_tenant_settled WHERE tenant_id = ? AND settled_at IS NOT NULL',
    ),
    page: { ended: page(INDEX.ended), settled: page(INDEX.settled) },
    priceCreatedIn: db.prepare(
      `SELECT COALESCE(SUM(price_micros), 0) AS v FROM attempts INDEXED BY attempts_tenant_created
       WHERE tenant_id = ? AND created_at >= ? AND created_at < ? AND status = 'solved' AND settled_at <= ?
         AND ended_at >= ? AND ended_at < ?`,
    ),
    byAccount: db.prepare(
      `SELECT tenant_id, captcha_type, COUNT(*) AS solves, SUM(thread_ms) AS thread_ms, SUM(cost_micros) AS cost
       FROM attempts WHERE provider_account = ? AND status = 'solved' AND ended_at >= ? AND ended_at < ?
       GROUP BY tenant_id, captcha_type ORDER BY tenant_id`,
    ),
  }
  /** Whether every attempt of the tenant that has a record time (every ended one) is inside the slice's bounds. */
  const everyRecordIn = (q: SolvedSlice): boolean => {
    const first = (s.firstSettled.get(q.tenantId) as { v: number | null }).v
    if (first === null) return true
    const last = (s.lastSettled.get(q.tenantId) as { v: number | null }).v!
    return Number(first) >= q.settledFrom && Number(last) < q.settledTo
  }
  const solvedRows: BillingReads['solvedRows'] = (q, after, limit) =>
    s.page[q.selective].all(
      ...sliceArgs(q, Math.max(after.endedAt, q.endedFrom)),
      after.endedAt,
      after.attemptId,
      limit,
    ) as unknown as SolvedRow[]
  return {
    firstSolveAt(tenantId) {
      const first = (s.firstSolve.get(tenantId) as { first: number | null }).first
      return first === null ? undefined : Number(first)
    },
    solvedGroups(q) {
      const rowsOf = (slice: SolvedSlice): SolvedGroup[] =>
        slice.endedFrom < slice.endedTo ? groupsOf(s.groups[slice.selective].all(...sliceArgs(slice))) : []
      // Whole buckets from the usage rollup when the slice's record-time bounds hold every record of the tenant
      // (a draft's own usage: recorded any time up to now), the part-buckets at either end from the rows. Every
      // ended attempt has its settled_at (the ledger writes both in one statement), so the bounds' check is exact.
      const [lo, hi] = wholeBuckets(q.endedFrom, q.endedTo)
      if (lo >= hi || !everyRecordIn(q)) return rowsOf(q)
      return mergeGroups([
        ...rowsOf({ ...q, endedTo: lo }),
        ...groupsOf(s.rollupGroups.all(q.tenantId, lo, hi)),
        ...rowsOf({ ...q, endedFrom: hi }),
      ])
    },
    solvedRows,
    solvedDetail(q) {
      if (!file) return pagedSolvedDetail(solvedRows, q)
      return firstPageThen(solvedRows, q, firstPageRows, (after) =>
        workerSolvedDetail(file, restSql(INDEX[q.selective]), [
          ...sliceArgs(q, Math.max(after.endedAt, q.endedFrom)),
          after.endedAt,
          after.attemptId,
        ]),
      )
    },
    solvedPriceCreatedIn(tenantId, createdIn, q) {
      let sum = 0
      for (const r of createdIn)
        sum += Number(
          (
            s.priceCreatedIn.get(tenantId, r.from, r.to, q.settledUpTo, q.endedFrom, q.endedTo) as {
              v: number
            }
          ).v,
        )
      return sum
    },
    solvedByAccount(account, fromMs, toMs) {
      return (
        s.byAccount.all(account, fromMs, toMs) as Array<{
          tenant_id: string
          captcha_type: string
          solves: number
          thread_ms: number
          cost: number
        }>
      ).map((r) => ({
        tenantId: r.tenant_id,
        captchaType: r.captcha_type as CaptchaType,
        solves: Number(r.solves),
        threadMs: Number(r.thread_ms),
        costMicros: Number(r.cost),
      }))
    },
  }
}
