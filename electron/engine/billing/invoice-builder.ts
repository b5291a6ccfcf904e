/**
 * Invoices per tenant per calendar month in the tenant's zone, computed from the ledger's billing reads (it never
 * touches the ledger's tables). Draft until the month has closed plus a grace period, then locked: its lines, totals and a SHA-256 content
 * hash are stored in one transaction with its number, and it never changes again (triggers refuse UPDATE/DELETE; the
 * hash is checked on every read).
 *
 * Late-usage rule: every solved row has an end time (`ended_at`, which month it belongs to) and a record time
 * (`settled_at`, when the ledger wrote its outcome). A locked invoice bills the rows that ended in its month and were
 * recorded at or before its lock time. A row that ended in a locked month but was recorded AFTER that lock is "late":
 * it is billed on the invoice of the month in which it was recorded (the next open invoice), as a separate line
 * "<type> — late usage from <month>". So every solved row is billed exactly once.
 *
 * Months lock in order per tenant: locking a month first locks the tenant's earlier months (from its first solve), so
 * "the next open invoice" is well defined. A month's period starts where the previous locked invoice ended (and ends
 * where the next locked one starts), so a time-zone change never bills a solve twice or drops one.
 */
import type { CaptchaType } from '@shared/captcha'
import { formatInvoiceNumber } from '@shared/billing-settings'
import type { Micros } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import type { Database } from '../db/database'
import type { Ledger, SolvedDetailChunk } from '../ledger/types'
import { localMonthBounds, localMonthOf, nextMonth, parseMonth } from '../time/zoned'
import { label, MAX, MIN, previousMonth, sha256, sliceOf, verified } from './invoice-helpers'
import {
  DEFAULT_TERMS,
  extrasFor,
  type CreditSource,
  type InvoiceExtras,
  type InvoiceTerms,
} from './invoice-terms'
import { isoSeconds } from './local-time-formatter'

export interface InvoiceLine {
  kind: 'usage' | 'late_usage' | 'minimum'
  /** Month the usage ended in (for late usage, the earlier month). */
  fromMonth: string
  captchaType: CaptchaType | null
  description: string
  quantity: number
  unitPriceMicros: Micros
  amountMicros: Micros
  costMicros: Micros
  threadMs: number
}

export interface Invoice extends InvoiceExtras {
  tenantId: string
  tenantName: string
  month: string
  timezone: string
  currency: string
  status: 'draft' | 'locked'
  number: string | null
  lockedAt: number | null
  /** Rows recorded up to this instant are on the invoice (the lock time once locked). */
  cutoffAt: number
  periodStartUtc: string
  periodEndUtc: string
  periodStartLocal: string
  periodEndLocal: string
  lines: InvoiceLine[]
  solves: number
  costMicros: Micros
  subtotalMicros: Micros
  /** Net (lines) plus tax. */
  totalMicros: Micros
  /** Net less cost (tax is not margin). */
  marginMicros: Micros
}

export interface InvoiceOptions {
  /** Read at every use, so a settings change takes effect at once. */
  graceDays: () => number
  /** The currency of drafts and of invoices locked from now on; a locked invoice keeps its own. */
  currency: () => string
  now: () => number
  terms?: () => InvoiceTerms
  credit?: CreditSource
}

/** A locked month's facts that later invoices depend on. */
interface Lock {
  lockedAt: number
  startMs: number
  endMs: number
}

/** One slice of an invoice's rows: the month's own usage, or the late usage of one earlier locked month. */
export interface Segment {
  kind: 'usage' | 'late_usage'
  fromMonth: string
  endedFrom: number
  endedTo: number
  /** Recorded strictly after this (the earlier month's lock time) … */
  settledAfter: number
  /** … and in [settledFrom, settledTo) … */
  settledFrom: number
  settledTo: number
  /** … and at or before this (this invoice's lock time, or now for a draft). */
  upTo: number
}

/** Per-(type, unit price) sums of one segment. */
export interface Group {
  captchaType: CaptchaType
  unitPriceMicros: Micros
  quantity: number
  amountMicros: Micros
  costMicros: Micros
  threadMs: number
}

export class InvoiceBuilder {
  private readonly s

  constructor(
    private readonly db: Database,
    private readonly ledger: Pick<Ledger, 'firstSolveAt' | 'solvedGroups' | 'solvedDetail'>,
    private readonly options: InvoiceOptions,
  ) {
    this.s = {
      locks: db.prepare(
        'SELECT month, locked_at, summary_json, content_hash FROM invoices WHERE tenant_id = ? ORDER BY month',
      ),
      stored: db.prepare('SELECT summary_json, content_hash FROM invoices WHERE tenant_id = ? AND month = ?'),
      insert: db.prepare(
        'INSERT INTO invoices (tenant_id, month, number, locked_at, currency, summary_json, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      numberTaken: db.prepare('SELECT 1 FROM invoices WHERE number = ?'),
      bump: db.prepare(
        'INSERT INTO invoice_counter (year, last) VALUES (?, 1) ON CONFLICT(year) DO UPDATE SET last = last + 1 RETURNING last',
      ),
    }
  }

  get graceDays(): number {
    const g = this.options.graceDays()
    if (!Number.isFinite(g) || g < 0) throw new RangeError('graceDays must be a number of days ≥ 0')
    return g
  }

  get currency(): string {
    return this.options.currency()
  }

  private get terms(): InvoiceTerms {
    return this.options.terms?.() ?? DEFAULT_TERMS
  }

  /** True once the month has ended in the tenant's zone and the grace period has passed. */
  isLockable(tenant: Tenant, month: string, now = this.options.now()): boolean {
    const [, end] = localMonthBounds(month, tenant.timezone)
    return now >= end + this.graceDays * 86_400_000
  }

  /** The stored (locked) invoice, its hash checked; undefined while it is a draft. */
  stored(tenantId: string, month: string): Invoice | undefined {
    const row = this.s.stored.get(tenantId, month) as
      { summary_json: string; content_hash: string } | undefined
    return row ? verified(row.summary_json, row.content_hash, tenantId, month) : undefined
  }

  /** Computes the invoice (draft), or returns the stored one (locked). Locks it when its time has come. */
  invoice(tenant: Tenant, month: string): Invoice {
    const p = this.prepare(tenant, month)
    return p.locked ?? this.compute(tenant, month, p.cutoff, 'draft', null)
  }

  /**
   * For an export: the locked invoice (locking it now if due), or, for a draft, the cutoff and segments to stream
   * and sum in one pass (no separate aggregate query over the month).
   */
  prepare(
    tenant: Tenant,
    month: string,
  ):
    | { locked: Invoice; cutoff: number; segments: Segment[] }
    | { locked: undefined; cutoff: number; segments: Segment[] } {
    parseMonth(month)
    const stored = this.stored(tenant.id, month)
    if (stored)
      return {
        locked: stored,
        cutoff: stored.cutoffAt,
        segments: this.segments(tenant, month, stored.cutoffAt),
      }
    const now = this.options.now()
    if (localMonthOf(now, tenant.timezone) < month)
      throw new RangeError(`${month} has not started yet in ${tenant.timezone}.`)
    if (this.isLockable(tenant, month, now)) {
      const locked = this.lockInOrder(tenant, month, now)
      return { locked, cutoff: locked.cutoffAt, segments: this.segments(tenant, month, locked.cutoffAt) }
    }
    return { locked: undefined, cutoff: now, segments: this.segments(tenant, month, now) }
  }

  /**
   * Locks every invoice that is due: for each tenant, each month from its first solve up to the last month past
   * its grace period. For a daily timer, so lock times (and so the late-usage boundary) do not depend on when
   * someone happens to look. Returns the invoices it locked.
   */
  lockDue(tenants: Iterable<Tenant>): Invoice[] {
    const now = this.options.now()
    const locked: Invoice[] = []
    for (const t of tenants) {
      let month = localMonthOf(now, t.timezone)
      for (let i = 0; i < 3 && !this.isLockable(t, month, now); i++) month = previousMonth(month)
      if (!this.isLockable(t, month, now)) continue
      const first = this.firstSolveMonth(t)
      if (first === undefined || first > month) continue
      locked.push(...this.lockRange(t, first, month, now))
    }
    return locked
  }

  private firstSolveMonth(tenant: Tenant): string | undefined {
    const first = this.ledger.firstSolveAt(tenant.id)
    return first === undefined ? undefined : localMonthOf(first, tenant.timezone)
  }

  private lockInOrder(tenant: Tenant, month: string, now: number): Invoice {
    const first = this.firstSolveMonth(tenant)
    this.lockRange(tenant, first !== undefined && first < month ? first : month, month, now)
    return this.stored(tenant.id, month)!
  }

  /** Locks the unlocked months from..to (inclusive), oldest first. At most 50 years back. */
  private lockRange(tenant: Tenant, from: string, to: string, now: number): Invoice[] {
    const out: Invoice[] = []
    let m = from
    for (let i = 0; m <= to && i < 600; i++, m = nextMonth(m)) {
      const done = this.lockOne(tenant, m, now)
      if (done) out.push(done)
    }
    return out
  }

  /** Locks one month in one transaction: number, lines, totals, hash. Undefined if it was already locked. */
  private lockOne(tenant: Tenant, month: string, now: number): Invoice | undefined {
    this.db.exec('BEGIN IMMEDIATE')
    try {
      if (this.s.stored.get(tenant.id, month)) {
        this.db.exec('COMMIT')
        return undefined
      }
      const year = Number(month.slice(0, 4))
      const format = this.terms.numberFormat
      // A number is unique: if the operator's format repeats an earlier one (e.g. no year in it), skip ahead.
      for (let attempt = 0; ; attempt++) {
        const n = Number((this.s.bump.get(year) as { last: number }).last)
        const number = formatInvoiceNumber(format, month, n)
        if (this.s.numberTaken.get(number) && attempt < 10_000) continue
        const invoice = this.compute(tenant, month, now, 'locked', number)
        const json = JSON.stringify(invoice)
        this.s.insert.run(tenant.id, month, number, now, invoice.currency, json, sha256(json))
        this.db.exec('COMMIT')
        return invoice
      }
    } catch (err) {
      this.db.exec('ROLLBACK')
      throw err
    }
  }

  private locks(tenantId: string): Map<string, Lock> {
    const out = new Map<string, Lock>()
    for (const r of this.s.locks.all(tenantId) as Array<{
      month: string
      locked_at: number
      summary_json: string
      content_hash: string
    }>) {
      const inv = verified(r.summary_json, r.content_hash, tenantId, r.month)
      out.set(r.month, {
        lockedAt: Number(r.locked_at),
        startMs: Date.parse(inv.periodStartUtc),
        endMs: Date.parse(inv.periodEndUtc),
      })
    }
    return out
  }

  /** [start, end) of a month for a tenant: its local month, joined to neighbouring locked invoices' periods. */
  private period(tenant: Tenant, month: string, locks: Map<string, Lock>): [number, number] {
    const [start, end] = localMonthBounds(month, tenant.timezone)
    return [locks.get(previousMonth(month))?.endMs ?? start, locks.get(nextMonth(month))?.startMs ?? end]
  }

  /** The slices of rows an invoice bills, given the rows recorded up to `cutoff` (ignored once locked). */
  segments(tenant: Tenant, month: string, cutoff: number): Segment[] {
    const locks = this.locks(tenant.id)
    const [start, end] = this.period(tenant, month, locks)
    const upTo = locks.get(month)?.lockedAt ?? cutoff
    const out: Segment[] = [
      {
        kind: 'usage',
        fromMonth: month,
        endedFrom: start,
        endedTo: end,
        settledAfter: MIN,
        settledFrom: MIN,
        settledTo: MAX,
        upTo,
      },
    ]
    for (const [m, lock] of locks) {
      if (m >= month) continue
      out.push({
        kind: 'late_usage',
        fromMonth: m,
        endedFrom: lock.startMs,
        endedTo: lock.endMs,
        settledAfter: lock.lockedAt,
        settledFrom: start,
        settledTo: end,
        upTo,
      })
    }
    return out
  }

  /** Per-(type, price) sums of a segment, computed by the ledger. */
  groups(tenantId: string, s: Segment): Group[] {
    return this.ledger.solvedGroups(sliceOf(tenantId, s)).map((g) => ({
      captchaType: g.captchaType,
      unitPriceMicros: g.priceMicros,
      quantity: g.count,
      amountMicros: g.amountMicros,
      costMicros: g.costMicros,
      threadMs: g.threadMs,
    }))
  }

  /** A segment's detail rows in (endedAt, attemptId) order, in chunks (read ahead on a worker for a file ledger). */
  detail(tenantId: string, s: Segment): AsyncIterable<SolvedDetailChunk> {
    return this.ledger.solvedDetail(sliceOf(tenantId, s))
  }

  private compute(
    tenant: Tenant,
    month: string,
    cutoff: number,
    status: Invoice['status'],
    number: string | null,
  ): Invoice {
    const segments = this.segments(tenant, month, cutoff)
    return this.assemble(
      tenant,
      month,
      segments,
      segments.map((s) => this.groups(tenant.id, s)),
      cutoff,
      status,
      number,
    )
  }

  /** Lines and totals from per-segment groups (the same function for SQL sums and for an export's running sums). */
  assemble(
    tenant: Tenant,
    month: string,
    segments: Segment[],
    groups: Group[][],
    cutoff: number,
    status: Invoice['status'],
    number: string | null,
  ): Invoice {
    const lines: InvoiceLine[] = []
    segments.forEach((s, i) => {
      const sorted = [...groups[i]!].sort(
        (a, b) =>
          label(a.captchaType).localeCompare(label(b.captchaType), 'en') ||
          a.unitPriceMicros - b.unitPriceMicros,
      )
      for (const g of sorted) {
        if (g.quantity === 0) continue
        lines.push({
          kind: s.kind,
          fromMonth: s.fromMonth,
          captchaType: g.captchaType,
          description:
            s.kind === 'late_usage'
              ? `${label(g.captchaType)} — late usage from ${s.fromMonth}`
              : label(g.captchaType),
          quantity: g.quantity,
          unitPriceMicros: g.unitPriceMicros,
          amountMicros: g.amountMicros,
          costMicros: g.costMicros,
          threadMs: g.threadMs,
        })
      }
    })
    const solves = lines.reduce((s, l) => s + l.quantity, 0)
    const subtotal = lines.reduce((s, l) => s + l.amountMicros, 0)
    const minimum = tenant.pricePlan.monthlyMinimumMicros ?? 0
    if (minimum > subtotal) {
      lines.push({
        kind: 'minimum',
        fromMonth: month,
        captchaType: null,
        description: 'Minimum commitment (monthly minimum less usage)',
        quantity: 1,
        unitPriceMicros: minimum - subtotal,
        amountMicros: minimum - subtotal,
        costMicros: 0,
        threadMs: 0,
      })
    }
    const net = lines.reduce((s, l) => s + l.amountMicros, 0)
    const cost = lines.reduce((s, l) => s + l.costMicros, 0)
    const main = segments[0]!
    const extras = extrasFor(
      tenant,
      net,
      cutoff,
      [main.endedFrom, main.endedTo],
      this.terms,
      this.options.credit,
    )
    return {
      ...extras,
      tenantId: tenant.id,
      tenantName: tenant.name,
      month,
      timezone: tenant.timezone,
      currency: this.currency,
      status,
      number,
      lockedAt: status === 'locked' ? cutoff : null,
      cutoffAt: cutoff,
      periodStartUtc: new Date(main.endedFrom).toISOString(),
      periodEndUtc: new Date(main.endedTo).toISOString(),
      periodStartLocal: isoSeconds(main.endedFrom, tenant.timezone),
      periodEndLocal: isoSeconds(main.endedTo, tenant.timezone),
      lines,
      solves,
      costMicros: cost,
      subtotalMicros: subtotal,
      totalMicros: net + extras.taxMicros,
      marginMicros: net - cost,
    }
  }
}
