/**
 * Invoices per tenant per calendar month in the tenant's zone, computed from the ledger. Draft until the month has
 * closed plus a grace period, then locked: its lines, totals and content hash are stored and never change.
 * Late usage — a solve that ended in a locked month but was recorded (settled) after the lock — is billed on the
 * invoice of the month in which it was recorded, as a separate line "late usage from <month>".
 */
import { createHash } from 'node:crypto'
import { CAPTCHA_TYPE_LABELS, type CaptchaType } from '@shared/captcha'
import type { Micros } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import type { Database } from '../ledger/database'
import { localMonthBounds, localMonthOf, nextMonth, parseMonth } from '../time/zoned'

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

export interface Invoice {
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
  totalMicros: Micros
  marginMicros: Micros
}

export interface BilledRow {
  attemptId: string
  taskId: string | null
  captchaType: CaptchaType
  endedAt: number
  settledAt: number
  threadMs: number
  costMicros: Micros
  priceMicros: Micros
  late: boolean
}

export interface InvoiceOptions {
  graceDays: number
  currency: string
  now: () => number
}

interface LockedRow {
  month: string
  locked_at: number
}

export class InvoiceBuilder {
  private readonly lockedRows
  private readonly insertInvoice
  private readonly bumpCounter
  private readonly readCounter

  constructor(
    private readonly db: Database,
    private readonly options: InvoiceOptions,
  ) {
    this.lockedRows = db.prepare('SELECT month, locked_at FROM invoices WHERE tenant_id = ? ORDER BY month')
    this.insertInvoice = db.prepare(
      'INSERT INTO invoices (tenant_id, month, number, locked_at, currency, summary_json, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
    )
    this.bumpCounter = db.prepare(
      'INSERT INTO invoice_counter (year, last) VALUES (?, 1) ON CONFLICT(year) DO UPDATE SET last = last + 1',
    )
    this.readCounter = db.prepare('SELECT last FROM invoice_counter WHERE year = ?')
  }

  /** Closed months past the grace period are locked; the current and recent months stay drafts. */
  isLockable(tenant: Tenant, month: string): boolean {
    const [, end] = localMonthBounds(month, tenant.timezone)
    return this.options.now() >= end + this.options.graceDays * 86_400_000
  }

  private lockedAt(tenantId: string): Map<string, number> {
    return new Map(
      (this.lockedRows.all(tenantId) as unknown as LockedRow[]).map((r) => [r.month, Number(r.locked_at)]),
    )
  }

  /**
   * The rows an invoice bills, in (endedAt, attemptId) order: solves ended in the month and recorded by `cutoff`
   * (the lock time, or now for a draft), plus late rows of earlier locked months recorded during this month.
   */
  *rows(tenant: Tenant, month: string, cutoff: number): Generator<BilledRow> {
    const [start, end] = localMonthBounds(month, tenant.timezone)
    const locks = this.lockedAt(tenant.id)
    const previousLock = locks.get(month)
    const stmt = this.db.prepare(
      `SELECT attempt_id, upstream_task_id, captcha_type, ended_at, settled_at, thread_ms, cost_micros, price_micros FROM attempts
       WHERE tenant_id = ? AND status = 'solved' AND ended_at >= ? AND ended_at < ? AND settled_at <= ? ORDER BY ended_at, attempt_id`,
    )
    for (const r of stmt.iterate(tenant.id, start, end, previousLock ?? cutoff)) yield toRow(r, false)
    // Late usage: rows of earlier locked months that were recorded after their lock, during this month.
    const late = this.db.prepare(
      `SELECT attempt_id, upstream_task_id, captcha_type, ended_at, settled_at, thread_ms, cost_micros, price_micros FROM attempts
       WHERE tenant_id = ? AND status = 'solved' AND ended_at >= ? AND ended_at < ? AND settled_at > ? AND settled_at >= ? AND settled_at < ? AND settled_at <= ?
       ORDER BY ended_at, attempt_id`,
    )
    for (const [m, lockedAt] of locks) {
      if (m >= month) continue
      const [ms, me] = localMonthBounds(m, tenant.timezone)
      for (const r of late.iterate(tenant.id, ms, me, lockedAt, start, end, previousLock ?? cutoff))
        yield toRow(r, true)
    }
  }

  /**
   * The same rows as `rows`, as arrays [taskId, type, endedAt, threadMs, cost, price, late] — the fast path for
   * million-row exports.
   */
  *rawRows(
    tenant: Tenant,
    month: string,
    cutoff: number,
  ): Generator<[string | null, string, number, number, number, number, boolean]> {
    const [start, end] = localMonthBounds(month, tenant.timezone)
    const locks = this.lockedAt(tenant.id)
    const upTo = locks.get(month) ?? cutoff
    const COLS =
      'SELECT upstream_task_id, captcha_type, ended_at, thread_ms, cost_micros, price_micros FROM attempts'
    const main = this.db.prepare(
      `${COLS} WHERE tenant_id = ? AND status = 'solved' AND ended_at >= ? AND ended_at < ? AND settled_at <= ? ORDER BY ended_at, attempt_id`,
    )
    main.setReturnArrays(true)
    for (const r of main.iterate(tenant.id, start, end, upTo) as Iterable<unknown[]>) {
      yield [
        r[0] as string | null,
        r[1] as string,
        Number(r[2]),
        Number(r[3]),
        Number(r[4]),
        Number(r[5]),
        false,
      ]
    }
    for (const [m, lockedAt] of locks) {
      if (m >= month) continue
      const [ms, me] = localMonthBounds(m, tenant.timezone)
      const late = this.db.prepare(
        `${COLS} WHERE tenant_id = ? AND status = 'solved' AND ended_at >= ? AND ended_at < ? AND settled_at > ? AND settled_at >= ? AND settled_at < ? AND settled_at <= ? ORDER BY ended_at, attempt_id`,
      )
      late.setReturnArrays(true)
      for (const r of late.iterate(tenant.id, ms, me, lockedAt, start, end, upTo) as Iterable<unknown[]>) {
        yield [
          r[0] as string | null,
          r[1] as string,
          Number(r[2]),
          Number(r[3]),
          Number(r[4]),
          Number(r[5]),
          true,
        ]
      }
    }
  }

  /** Computes the invoice (draft), or returns the stored one (locked). Locks it when its time has come. */
  invoice(tenant: Tenant, month: string): Invoice {
    parseMonth(month)
    const stored = this.db
      .prepare('SELECT * FROM invoices WHERE tenant_id = ? AND month = ?')
      .get(tenant.id, month) as { summary_json: string } | undefined
    if (stored) return JSON.parse(stored.summary_json) as Invoice
    const now = this.options.now()
    if (localMonthOf(now, tenant.timezone) < month) {
      throw new RangeError(`${month} has not started yet in ${tenant.timezone}.`)
    }
    if (this.isLockable(tenant, month)) return this.lock(tenant, month, now)
    return this.compute(tenant, month, now, 'draft', null)
  }

  private compute(
    tenant: Tenant,
    month: string,
    cutoff: number,
    status: Invoice['status'],
    number: string | null,
  ): Invoice {
    const [start, end] = localMonthBounds(month, tenant.timezone)
    const groups: InvoiceLine[] = []
    let solves = 0
    const addGroups = (rows: unknown[], kind: 'usage' | 'late_usage', fromMonth: string): void => {
      for (const raw of rows) {
        const r = raw as {
          captcha_type: CaptchaType
          price: number
          n: number
          cost: number
          thread_ms: number
          amount: number
        }
        const label = CAPTCHA_TYPE_LABELS[r.captcha_type] ?? r.captcha_type
        solves += Number(r.n)
        groups.push({
          kind,
          fromMonth,
          captchaType: r.captcha_type,
          description: kind === 'late_usage' ? `${label} — late usage from ${fromMonth}` : label,
          quantity: Number(r.n),
          unitPriceMicros: Number(r.price),
          amountMicros: Number(r.amount),
          costMicros: Number(r.cost),
          threadMs: Number(r.thread_ms),
        })
      }
    }
    const locks = this.lockedAt(tenant.id)
    const upTo = locks.get(month) ?? cutoff
    const AGG =
      'SELECT captcha_type, price_micros AS price, COUNT(*) AS n, SUM(price_micros) AS amount, SUM(cost_micros) AS cost, SUM(thread_ms) AS thread_ms FROM attempts'
    addGroups(
      this.db
        .prepare(
          `${AGG} WHERE tenant_id = ? AND status = 'solved' AND ended_at >= ? AND ended_at < ? AND settled_at <= ? GROUP BY captcha_type, price_micros`,
        )
        .all(tenant.id, start, end, upTo),
      'usage',
      month,
    )
    for (const [m, lockedAt] of locks) {
      if (m >= month) continue
      const [ms, me] = localMonthBounds(m, tenant.timezone)
      addGroups(
        this.db
          .prepare(
            `${AGG} WHERE tenant_id = ? AND status = 'solved' AND ended_at >= ? AND ended_at < ? AND settled_at > ? AND settled_at >= ? AND settled_at < ? AND settled_at <= ? GROUP BY captcha_type, price_micros`,
          )
          .all(tenant.id, ms, me, lockedAt, start, end, upTo),
        'late_usage',
        m,
      )
    }
    const lines = groups.sort(
      (a, b) =>
        (a.kind + a.fromMonth + a.captchaType).localeCompare(b.kind + b.fromMonth + b.captchaType) ||
        a.unitPriceMicros - b.unitPriceMicros,
    )
    const subtotal = lines.reduce((s, l) => s + l.amountMicros, 0)
    const minimum = tenant.pricePlan.monthlyMinimumMicros ?? 0
    if (minimum > subtotal) {
      lines.push({
        kind: 'minimum',
        fromMonth: month,
        captchaType: null,
        description: 'Monthly minimum commitment (difference)',
        quantity: 1,
        unitPriceMicros: minimum - subtotal,
        amountMicros: minimum - subtotal,
        costMicros: 0,
        threadMs: 0,
      })
    }
    const total = lines.reduce((s, l) => s + l.amountMicros, 0)
    const cost = lines.reduce((s, l) => s + l.costMicros, 0)
    const iso = (ms: number): string => new Date(ms).toISOString()
    return {
      tenantId: tenant.id,
      tenantName: tenant.name,
      month,
      timezone: tenant.timezone,
      currency: this.options.currency,
      status,
      number,
      lockedAt: status === 'locked' ? cutoff : null,
      cutoffAt: cutoff,
      periodStartUtc: iso(start),
      periodEndUtc: iso(end),
      periodStartLocal: `${month}-01T00:00:00 ${tenant.timezone}`,
      periodEndLocal: `${nextMonth(month)}-01T00:00:00 ${tenant.timezone}`,
      lines,
      solves,
      costMicros: cost,
      subtotalMicros: subtotal,
      totalMicros: total,
      marginMicros: total - cost,
    }
  }

  private lock(tenant: Tenant, month: string, now: number): Invoice {
    const year = Number(month.slice(0, 4))
    this.db.exec('BEGIN IMMEDIATE')
    try {
      const again = this.db
        .prepare('SELECT summary_json FROM invoices WHERE tenant_id = ? AND month = ?')
        .get(tenant.id, month) as { summary_json: string } | undefined
      if (again) {
        this.db.exec('COMMIT')
        return JSON.parse(again.summary_json) as Invoice
      }
      this.bumpCounter.run(year)
      const n = Number((this.readCounter.get(year) as { last: number }).last)
      const number = `CD-${year}-${String(n).padStart(6, '0')}`
      const invoice = this.compute(tenant, month, now, 'locked', number)
      const json = JSON.stringify(invoice)
      const hash = createHash('sha256').update(json).digest('hex')
      this.insertInvoice.run(tenant.id, month, number, now, invoice.currency, json, hash)
      this.db.exec('COMMIT')
      return invoice
    } catch (err) {
      this.db.exec('ROLLBACK')
      throw err
    }
  }
}

function toRow(r: unknown, late: boolean): BilledRow {
  const x = r as Record<string, unknown>
  return {
    attemptId: String(x.attempt_id),
    taskId: (x.upstream_task_id as string | null) ?? null,
    captchaType: x.captcha_type as CaptchaType,
    endedAt: Number(x.ended_at),
    settledAt: Number(x.settled_at),
    threadMs: Number(x.thread_ms),
    costMicros: Number(x.cost_micros),
    priceMicros: Number(x.price_micros),
    late,
  }
}
