/**
 * The ledger in memory: the same contract as the SQLite ledger (test/unit/ledger/ledger-contract.ts runs both),
 * nothing durable. For tests and benchmarks of the components above the ledger, and the proof that the interface
 * is the seam: a second storage passes the same suite without any caller knowing.
 */
import type { CaptchaType } from '@shared/captcha'
import { checkSettle, isNewAttempt, isNewSubmission, known, storedThreadMs } from './ledger-rules'
import { pagedSolvedDetail } from './solved-detail'
import {
  BUCKET_MS,
  OPEN_STATUSES,
  type AttemptRecord,
  type BeginAttempt,
  type Ledger,
  type SettleOutcome,
  type SolvedDetailChunk,
  type SolvedRow,
  type SolvedSlice,
  type UsageTotal,
} from './types'

type Row = AttemptRecord & { settledAt: number | null }

const isOpen = (r: AttemptRecord): boolean => OPEN_STATUSES.includes(r.status)
/** SQLite's binary collation for ASCII ids, as a comparator. */
const binary = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
const copy = ({ settledAt: _, ...r }: Row): AttemptRecord => ({ ...r })

interface Totals {
  count: number
  threadMs: number
  costMicros: number
  priceMicros: number
}

/** Rows grouped by `keyOf` in first-seen order (the SQLite ledger's GROUP BY): each group's first row and totals. */
function totalsBy(rows: Iterable<Row>, keyOf: (r: Row) => string): Array<{ first: Row; totals: Totals }> {
  const groups = new Map<string, { first: Row; totals: Totals }>()
  for (const r of rows) {
    const key = keyOf(r)
    let g = groups.get(key)
    if (!g) {
      g = { first: r, totals: { count: 0, threadMs: 0, costMicros: 0, priceMicros: 0 } }
      groups.set(key, g)
    }
    g.totals.count++
    g.totals.threadMs += r.threadMs
    g.totals.costMicros += r.costMicros
    g.totals.priceMicros += r.priceMicros
  }
  return [...groups.values()]
}

function inSlice(r: Row, q: SolvedSlice, endedFrom = q.endedFrom): boolean {
  return (
    r.tenantId === q.tenantId &&
    r.status === 'solved' &&
    r.endedAt! >= endedFrom &&
    r.endedAt! < q.endedTo &&
    r.settledAt! >= q.settledFrom &&
    r.settledAt! < q.settledTo
  )
}

export class MemoryLedger implements Ledger {
  /** Every row by attempt id (tests read it directly). */
  readonly rows = new Map<string, Row>()

  constructor(private readonly now: () => number = Date.now) {}

  async begin(a: BeginAttempt): Promise<void> {
    if (!isNewAttempt(a, this.rows.get(a.attemptId)?.tenantId)) return
    this.rows.set(a.attemptId, {
      ...a,
      upstreamTaskId: null,
      status: 'pending',
      errorCode: null,
      submittedAt: null,
      readyAt: null,
      endedAt: null,
      threadMs: 0,
      costMicros: 0,
      priceMicros: 0,
      settledAt: null,
    })
  }

  async markSubmitted(attemptId: string, upstreamTaskId: string, submittedAt: number): Promise<void> {
    const r = known(this.rows.get(attemptId), attemptId)
    const clash = () => this.findRow(r.providerAccount, upstreamTaskId)?.attemptId
    if (!isNewSubmission(r, upstreamTaskId, clash)) return
    Object.assign(r, { status: 'submitted', upstreamTaskId, submittedAt })
  }

  async settle(attemptId: string, o: SettleOutcome): Promise<boolean> {
    const r = known(this.rows.get(attemptId), attemptId)
    if (!isOpen(r)) return false
    checkSettle(o)
    const common = { endedAt: o.endedAt, threadMs: storedThreadMs(o.threadMs), settledAt: this.now() }
    if (o.status === 'solved') {
      Object.assign(r, common, {
        status: 'solved',
        readyAt: o.readyAt,
        costMicros: o.costMicros,
        priceMicros: o.priceMicros,
      })
    } else Object.assign(r, common, { status: o.status, errorCode: o.errorCode })
    return true
  }

  flush(): void {}

  get(attemptId: string): AttemptRecord | undefined {
    const r = this.rows.get(attemptId)
    return r && copy(r)
  }

  findByUpstreamTask(providerAccount: string, upstreamTaskId: string): AttemptRecord | undefined {
    const r = this.findRow(providerAccount, upstreamTaskId)
    return r && copy(r)
  }

  recent(tenantId: string, limit: number): AttemptRecord[] {
    return [...this.rows.values()]
      .filter((r) => r.tenantId === tenantId)
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, limit)
      .map(copy)
  }

  openAttempts(): AttemptRecord[] {
    return [...this.rows.values()]
      .filter(isOpen)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(copy)
  }

  countForDay(tenantId: string, startMs: number, endMs: number): { solved: number; open: number } {
    let solved = 0
    let open = 0
    for (const r of this.rows.values()) {
      if (r.tenantId !== tenantId || r.createdAt < startMs || r.createdAt >= endMs) continue
      if (r.status === 'solved') solved++
      else if (isOpen(r)) open++
    }
    return { solved, open }
  }

  spendForMonth(tenantId: string, startMs: number, endMs: number) {
    let spentMicros = 0
    let reservedMicros = 0
    for (const r of this.rows.values()) {
      if (r.tenantId !== tenantId) continue
      if (r.status === 'solved' && r.endedAt! >= startMs && r.endedAt! < endMs) spentMicros += r.priceMicros
      if (isOpen(r) && r.createdAt >= startMs && r.createdAt < endMs) reservedMicros += r.reservedMicros
    }
    return { spentMicros, reservedMicros }
  }

  openByTenant(): Map<string, number> {
    const out = new Map<string, number>()
    for (const r of this.rows.values()) if (isOpen(r)) out.set(r.tenantId, (out.get(r.tenantId) ?? 0) + 1)
    return out
  }

  usageTotals(q: { tenantId: string; fromMs: number; toMs: number }): UsageTotal[] {
    const bucketOf = (endedAt: number): number => Math.floor(endedAt / BUCKET_MS) * BUCKET_MS
    const rows = [...this.rows.values()].filter(
      (r) =>
        r.tenantId === q.tenantId &&
        r.endedAt !== null &&
        bucketOf(r.endedAt) >= q.fromMs &&
        bucketOf(r.endedAt) < q.toMs,
    )
    return totalsBy(rows, (r) => JSON.stringify([r.status, r.errorCode])).map(({ first: r, totals }) => ({
      status: r.status,
      errorCode: r.errorCode,
      ...totals,
    }))
  }

  firstSolveAt(tenantId: string): number | undefined {
    let first: number | undefined
    for (const r of this.rows.values())
      if (r.tenantId === tenantId && r.status === 'solved' && (first === undefined || r.endedAt! < first))
        first = r.endedAt!
    return first
  }

  solvedGroups(q: SolvedSlice): ReturnType<Ledger['solvedGroups']> {
    const rows = [...this.rows.values()].filter((r) => inSlice(r, q))
    return totalsBy(rows, (r) => `${r.captchaType}|${r.priceMicros}`).map(({ first, totals: t }) => ({
      captchaType: first.captchaType,
      priceMicros: first.priceMicros,
      count: t.count,
      amountMicros: t.priceMicros,
      costMicros: t.costMicros,
      threadMs: t.threadMs,
    }))
  }

  solvedDetail(q: SolvedSlice): AsyncIterable<SolvedDetailChunk> {
    return pagedSolvedDetail((slice, after, limit) => this.solvedRows(slice, after, limit), q)
  }

  solvedRows(q: SolvedSlice, after: { endedAt: number; attemptId: string }, limit: number): SolvedRow[] {
    return [...this.rows.values()]
      .filter(
        (r) =>
          inSlice(r, q, Math.max(after.endedAt, q.endedFrom)) &&
          (r.endedAt! > after.endedAt || r.attemptId > after.attemptId),
      )
      .sort((a, b) => a.endedAt! - b.endedAt! || binary(a.attemptId, b.attemptId))
      .slice(0, limit)
      .map((r) => [
        r.attemptId,
        r.upstreamTaskId,
        r.captchaType,
        r.endedAt!,
        r.threadMs,
        r.costMicros,
        r.priceMicros,
      ])
  }

  solvedPriceCreatedIn(
    tenantId: string,
    createdIn: ReadonlyArray<{ from: number; to: number }>,
    q: { settledUpTo: number; endedFrom: number; endedTo: number },
  ): number {
    let sum = 0
    for (const r of this.rows.values())
      if (
        r.tenantId === tenantId &&
        r.status === 'solved' &&
        r.settledAt! <= q.settledUpTo &&
        r.endedAt! >= q.endedFrom &&
        r.endedAt! < q.endedTo &&
        createdIn.some((p) => r.createdAt >= p.from && r.createdAt < p.to)
      )
        sum += r.priceMicros
    return sum
  }

  solvedByAccount(
    providerAccount: string,
    fromMs: number,
    toMs: number,
  ): ReturnType<Ledger['solvedByAccount']> {
    const rows = [...this.rows.values()].filter(
      (r) =>
        r.providerAccount === providerAccount &&
        r.status === 'solved' &&
        r.endedAt! >= fromMs &&
        r.endedAt! < toMs,
    )
    return totalsBy(rows, (r) => `${r.tenantId}|${r.captchaType}`)
      .map(({ first, totals: t }) => ({
        tenantId: first.tenantId,
        captchaType: first.captchaType as CaptchaType,
        solves: t.count,
        threadMs: t.threadMs,
        costMicros: t.costMicros,
      }))
      .sort((a, b) => binary(a.tenantId, b.tenantId))
  }

  async close(): Promise<void> {}

  private findRow(providerAccount: string, upstreamTaskId: string): Row | undefined {
    for (const r of this.rows.values())
      if (r.providerAccount === providerAccount && r.upstreamTaskId === upstreamTaskId) return r
    return undefined
  }
}
