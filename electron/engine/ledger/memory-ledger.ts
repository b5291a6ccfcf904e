/**
 * The ledger in memory: the same contract as the SQLite ledger (test/unit/ledger/ledger-contract.ts runs both),
 * nothing durable. For tests and benchmarks of the components above the ledger, and the proof that the interface
 * is the seam: a second storage passes the same suite without any caller knowing.
 */
import type { CaptchaType } from '@shared/captcha'
import {
  checkOutcome,
  checkPriced,
  LedgerError,
  storedThreadMs,
  UpstreamTaskClashError,
} from './ledger-rules'
import {
  BUCKET_MS,
  OPEN_STATUSES,
  type AttemptRecord,
  type BeginAttempt,
  type Ledger,
  type SettleOutcome,
  type SolvedRow,
  type SolvedSlice,
  type UsageBucket,
} from './types'

type Row = AttemptRecord & { settledAt: number | null }

const isOpen = (r: AttemptRecord): boolean => OPEN_STATUSES.includes(r.status)
/** SQLite's binary collation for ASCII ids, as a comparator. */
const binary = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
const copy = ({ settledAt: _, ...r }: Row): AttemptRecord => ({ ...r })

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
    if (!Number.isFinite(a.createdAt)) throw new LedgerError('createdAt must be a number')
    const existing = this.rows.get(a.attemptId)
    if (existing) {
      if (existing.tenantId !== a.tenantId)
        throw new LedgerError(`attempt ${a.attemptId} already belongs to another tenant`)
      return
    }
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
    const r = this.rows.get(attemptId)
    if (!r) throw new LedgerError(`unknown attempt ${attemptId}`)
    if (r.upstreamTaskId === upstreamTaskId) return
    if (r.status !== 'pending') throw new LedgerError(`attempt ${attemptId} is ${r.status}, not pending`)
    const clash = this.findRow(r.providerAccount, upstreamTaskId)
    if (clash)
      throw new UpstreamTaskClashError(
        `upstream task ${upstreamTaskId} is already recorded for attempt ${clash.attemptId}`,
      )
    Object.assign(r, { status: 'submitted', upstreamTaskId, submittedAt })
  }

  async settle(attemptId: string, o: SettleOutcome): Promise<boolean> {
    const r = this.rows.get(attemptId)
    if (!r) throw new LedgerError(`unknown attempt ${attemptId}`)
    if (!isOpen(r)) return false
    checkOutcome(o)
    const common = { endedAt: o.endedAt, threadMs: storedThreadMs(o.threadMs), settledAt: this.now() }
    if (o.status === 'solved') {
      checkPriced(o)
      Object.assign(r, common, {
        status: 'solved',
        readyAt: o.readyAt,
        costMicros: o.costMicros,
        priceMicros: o.priceMicros,
      })
    } else Object.assign(r, common, { status: o.status, errorCode: o.errorCode })
    return true
  }

  commitWithoutFsync(): void {} // every write is already visible

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

  *iterate(q: Parameters<Ledger['iterate']>[0]): Iterable<AttemptRecord> {
    const at = (r: Row): number | null => (q.by === 'createdAt' ? r.createdAt : r.endedAt)
    const rows = [...this.rows.values()].filter((r) => {
      const t = at(r)
      return (
        t !== null &&
        t >= q.fromMs &&
        t < q.toMs &&
        (q.tenantId === undefined || r.tenantId === q.tenantId) &&
        (!q.statuses?.length || q.statuses.includes(r.status))
      )
    })
    rows.sort((a, b) => at(a)! - at(b)! || binary(a.attemptId, b.attemptId))
    for (const r of rows) yield copy(r)
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

  buckets(q: { tenantId?: string; fromMs: number; toMs: number }): UsageBucket[] {
    const out = new Map<string, UsageBucket>()
    for (const r of this.rows.values()) {
      const t = r.endedAt ?? r.createdAt
      if (t < q.fromMs || t >= q.toMs || (q.tenantId !== undefined && r.tenantId !== q.tenantId)) continue
      const bucketStart = Math.floor(t / BUCKET_MS) * BUCKET_MS
      const key = JSON.stringify([r.tenantId, bucketStart, r.captchaType, r.status, r.errorCode])
      let b = out.get(key)
      if (!b) {
        b = {
          tenantId: r.tenantId,
          bucketStart,
          captchaType: r.captchaType,
          status: r.status,
          errorCode: r.errorCode,
          count: 0,
          threadMs: 0,
          costMicros: 0,
          priceMicros: 0,
        }
        out.set(key, b)
      }
      b.count++
      b.threadMs += r.threadMs
      b.costMicros += r.costMicros
      b.priceMicros += r.priceMicros
    }
    return [...out.values()]
  }

  firstSolveAt(tenantId: string): number | undefined {
    let first: number | undefined
    for (const r of this.rows.values())
      if (r.tenantId === tenantId && r.status === 'solved' && (first === undefined || r.endedAt! < first))
        first = r.endedAt!
    return first
  }

  solvedGroups(q: SolvedSlice) {
    const out = new Map<string, ReturnType<Ledger['solvedGroups']>[number]>()
    for (const r of this.rows.values()) {
      if (!inSlice(r, q)) continue
      const key = `${r.captchaType}|${r.priceMicros}`
      let g = out.get(key)
      if (!g) {
        g = {
          captchaType: r.captchaType,
          priceMicros: r.priceMicros,
          count: 0,
          amountMicros: 0,
          costMicros: 0,
          threadMs: 0,
        }
        out.set(key, g)
      }
      g.count++
      g.amountMicros += r.priceMicros
      g.costMicros += r.costMicros
      g.threadMs += r.threadMs
    }
    return [...out.values()]
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

  solvedByAccount(providerAccount: string, fromMs: number, toMs: number) {
    const out = new Map<string, ReturnType<Ledger['solvedByAccount']>[number]>()
    for (const r of this.rows.values()) {
      if (r.providerAccount !== providerAccount || r.status !== 'solved') continue
      if (r.endedAt! < fromMs || r.endedAt! >= toMs) continue
      const key = `${r.tenantId}|${r.captchaType}`
      let u = out.get(key)
      if (!u) {
        u = {
          tenantId: r.tenantId,
          captchaType: r.captchaType as CaptchaType,
          solves: 0,
          threadMs: 0,
          costMicros: 0,
        }
        out.set(key, u)
      }
      u.solves++
      u.threadMs += r.threadMs
      u.costMicros += r.costMicros
    }
    return [...out.values()].sort((a, b) => binary(a.tenantId, b.tenantId))
  }

  async close(): Promise<void> {}

  private findRow(providerAccount: string, upstreamTaskId: string): Row | undefined {
    for (const r of this.rows.values())
      if (r.providerAccount === providerAccount && r.upstreamTaskId === upstreamTaskId) return r
    return undefined
  }
}
