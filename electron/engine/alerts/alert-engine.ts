/**
 * Threshold alerts: per tenant, % of the daily solve limit and of the monthly budget (thresholds from the tenant,
 * default 80 / 95 / 100 %); per upstream account, a low balance.
 *
 * Rules
 * - An alert is (subject, kind, threshold, period): period = the tenant's local date (daily limit), local month
 *   (budget), or "current" (balance). Kept in the `alerts` table, so a restart never fires one twice.
 * - One alert per event: of the thresholds crossed, only the highest is raised (crossing 80, 95 and 100 % in one step
 *   raises the 100 % alert alone); a lower one still active is closed quietly when a higher one replaces it.
 * - It is raised at most once per period, and resolved when it no longer holds (the limit was raised or removed,
 *   the threshold taken off the list, the period ended). A usage alert resolved within its period stays resolved for
 *   that period; a low balance can be raised again after a top-up and a new drop.
 * - Every change is emitted to `onAlert` listeners as { type: 'raised' | 'resolved', alert }; a throwing listener
 *   never stops the others or the caller.
 * - `evaluate(now)` reads usage from the ledger (two indexed queries per tenant) and the stored state (one query per
 *   tenant and kind): cheap enough to call after every settle; pass a tenant id to evaluate only that tenant.
 */
import type { Micros } from '@shared/money'
import { formatMoney } from '@shared/money'
import { DEFAULT_ALERT_PERCENTS, type Tenant } from '@shared/tenant'
import type { Database } from '../db/database'
import { migrate, type Migration } from '../db/migrations'
import { localDateOf, localDayBounds, localMonthBounds } from '../time/zoned'

export type AlertKind = 'daily_limit' | 'monthly_budget' | 'low_balance' | 'low_credit'

export interface Alert {
  id: number
  subject: string
  kind: AlertKind
  threshold: number
  period: string
  raisedAt: number
  resolvedAt: number | null
  value: number
  message: string
}

export type AlertEvent = { type: 'raised' | 'resolved'; alert: Alert }

export interface TenantUsageNow {
  tenant: Tenant
  day: string
  dayCount: number
  month: string
  monthSpendMicros: Micros
}

/** The tenants to watch. */
export interface TenantLookup {
  get(id: string): Tenant | undefined
  list(): Tenant[]
}

/** Usage the thresholds compare with, in UTC ms bounds of the tenant's local day / month. */
export interface AlertUsageSource {
  /** What counts against the daily limit in [start, end): solves plus those in flight. */
  dayCount(tenantId: string, startMs: number, endMs: number): number
  /** Billed price of solves in [start, end). */
  monthSpend(tenantId: string, startMs: number, endMs: number): Micros
}

/** Adapts the SQLite ledger's usage queries. */
export function ledgerUsageSource(ledger: {
  countForDay(id: string, a: number, b: number): { solved: number; open: number }
  spendForMonth(id: string, a: number, b: number): { spentMicros: number }
}): AlertUsageSource {
  return {
    dayCount: (id, a, b) => {
      const c = ledger.countForDay(id, a, b)
      return c.solved + c.open
    },
    monthSpend: (id, a, b) => ledger.spendForMonth(id, a, b).spentMicros,
  }
}

export interface AlertEngine {
  /** Evaluates every tenant (or one) against its limits at `at` (default now). Returns the events it emitted. */
  evaluate(at?: number, tenantId?: string): AlertEvent[]
  evaluateTenant(u: TenantUsageNow): AlertEvent[]
  evaluateBalance(
    account: string,
    label: string,
    balanceMicros: Micros,
    thresholdMicros: Micros,
  ): AlertEvent[]
  /** A prepaid tenant's credit left against its low-credit threshold (resolved when topped up or postpaid). */
  evaluateCredit(tenant: Tenant, prepaid: boolean, leftMicros: Micros, thresholdMicros: Micros): AlertEvent[]
  list(q?: { activeOnly?: boolean; limit?: number; subject?: string }): Alert[]
  get(id: number): Alert | undefined
  onAlert(listener: (e: AlertEvent) => void): () => void
}

/**
 * The thresholds (percent) that `used` has reached of `limit`, each with the value and message of its alert; none
 * without a positive limit.
 */
function reached(
  pcts: readonly number[],
  used: number,
  limit: number | undefined,
  message: (pct: number) => string,
): Map<number, { value: number; message: string }> {
  const wanted = new Map<number, { value: number; message: string }>()
  if (limit !== undefined && limit > 0)
    for (const p of pcts) if (used * 100 >= limit * p) wanted.set(p, { value: used, message: message(p) })
  return wanted
}

/**
 * The alerts component's tables (component "alerts"): alerts and the operator's acknowledgements. IF NOT EXISTS:
 * databases from before this component owned them already have them (billing's and the console's migrations).
 */
const ALERT_MIGRATIONS: ReadonlyArray<Migration> = [
  (db) =>
    db.exec(`CREATE TABLE IF NOT EXISTS alerts (
      id          INTEGER PRIMARY KEY AUTOINCREMENT,
      subject     TEXT NOT NULL,
      kind        TEXT NOT NULL,
      threshold   INTEGER NOT NULL,
      period      TEXT NOT NULL,
      raised_at   INTEGER NOT NULL,
      resolved_at INTEGER,
      value       INTEGER NOT NULL,
      message     TEXT NOT NULL,
      UNIQUE (subject, kind, threshold, period)
    ) STRICT`),
  (db) =>
    db.exec(
      'CREATE TABLE IF NOT EXISTS alert_acks (alert_id INTEGER PRIMARY KEY, acknowledged_at INTEGER NOT NULL, actor TEXT NOT NULL)',
    ),
]

function toAlert(r: Record<string, unknown>): Alert {
  return {
    id: Number(r.id),
    subject: String(r.subject),
    kind: r.kind as AlertKind,
    threshold: Number(r.threshold),
    period: String(r.period),
    raisedAt: Number(r.raised_at),
    resolvedAt: r.resolved_at === null ? null : Number(r.resolved_at),
    value: Number(r.value),
    message: String(r.message),
  }
}

/** The tenant's thresholds: whole percents 1..1000, deduplicated, ascending; the defaults when none are set. */
export function thresholdsOf(tenant: Tenant): number[] {
  const raw = tenant.alertThresholds?.percents
  const list = (Array.isArray(raw) && raw.length > 0 ? raw : DEFAULT_ALERT_PERCENTS).filter(
    (p) => Number.isInteger(p) && p >= 1 && p <= 1000,
  )
  return [...new Set(list)].sort((a, b) => a - b)
}

export function createAlertEngine(
  db: Database,
  now: () => number = Date.now,
  deps: { tenants?: TenantLookup; usage?: AlertUsageSource } = {},
): AlertEngine {
  migrate(db, 'alerts', ALERT_MIGRATIONS)
  const listeners = new Set<(e: AlertEvent) => void>()
  const s = {
    byId: db.prepare('SELECT * FROM alerts WHERE id = ?'),
    ofKind: db.prepare(
      'SELECT * FROM alerts WHERE subject = ? AND kind = ? AND (period = ? OR resolved_at IS NULL)',
    ),
    insert: db.prepare(
      'INSERT INTO alerts (subject, kind, threshold, period, raised_at, value, message) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    reopen: db.prepare(
      'UPDATE alerts SET resolved_at = NULL, raised_at = ?, value = ?, message = ? WHERE id = ?',
    ),
    resolve: db.prepare('UPDATE alerts SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL'),
  }
  /**
   * The last read of each (subject, kind): its period and rows. Every solve that ends re-checks its tenant's two
   * kinds, and nearly always nothing changed; this engine is the only writer of the table (one engine per data folder),
   * and each of its writes forgets the pair first, so a read from here is what the table holds.
   */
  const lastRead = new Map<string, { period: string; rows: Alert[] }>()
  const pairKey = (subject: string, kind: AlertKind): string => `${kind}\u0000${subject}`
  const forget = (subject: string, kind: AlertKind): void => void lastRead.delete(pairKey(subject, kind))
  function rowsOf(subject: string, kind: AlertKind, period: string): Alert[] {
    const key = pairKey(subject, kind)
    const hit = lastRead.get(key)
    if (hit && hit.period === period) return hit.rows
    const rows = (s.ofKind.all(subject, kind, period) as Array<Record<string, unknown>>).map(toAlert)
    lastRead.set(key, { period, rows })
    return rows
  }
  const emit = (out: AlertEvent[], type: AlertEvent['type'], id: number): void => {
    const alert = toAlert(s.byId.get(id) as Record<string, unknown>)
    const e = { type, alert }
    out.push(e)
    for (const l of listeners) {
      try {
        l(e)
      } catch (err) {
        console.error(`alert listener failed: ${(err as Error).message}`)
      }
    }
  }

  /**
   * Brings one (subject, kind) in line with `wanted` (threshold → message/value, for thresholds that hold in
   * `period`): raises the missing ones, resolves active ones that no longer hold or belong to an older period.
   */
  function reconcile(
    out: AlertEvent[],
    subject: string,
    kind: AlertKind,
    period: string,
    wanted: Map<number, { value: number; message: string }>,
    at: number,
  ): void {
    const rows = rowsOf(subject, kind, period)
    const current = new Map(rows.filter((a) => a.period === period).map((a) => [a.threshold, a]))
    // One alert per event: only the highest threshold crossed is wanted; lower ones it replaces close quietly.
    const top = Math.max(...wanted.keys())
    for (const t of [...wanted.keys()]) if (t !== top) wanted.delete(t)
    for (const a of rows) {
      const stillHolds = a.period === period && wanted.has(a.threshold)
      if (a.resolvedAt === null && !stillHolds) {
        forget(subject, kind)
        s.resolve.run(at, a.id)
        if (a.period === period && a.threshold < top) continue // superseded by a higher one, not cleared
        emit(out, 'resolved', a.id)
      }
    }
    for (const [threshold, w] of wanted) {
      const row = current.get(threshold)
      if (!row) {
        forget(subject, kind)
        const r = s.insert.run(subject, kind, threshold, period, at, w.value, w.message)
        emit(out, 'raised', Number(r.lastInsertRowid))
      } else if (row.resolvedAt !== null && (kind === 'low_balance' || kind === 'low_credit')) {
        forget(subject, kind)
        s.reopen.run(at, w.value, w.message, row.id)
        emit(out, 'raised', row.id)
      }
    }
  }

  function evaluateTenant(
    { tenant, day, dayCount, month, monthSpendMicros }: TenantUsageNow,
    at = now(),
  ): AlertEvent[] {
    const out: AlertEvent[] = []
    const subject = `tenant:${tenant.id}`
    const pcts = tenant.status === 'deleted' ? [] : thresholdsOf(tenant)
    const daily = tenant.limits.solvesPerDay
    const dailyWanted = reached(
      pcts,
      dayCount,
      daily,
      (p) => `${tenant.name} used ${dayCount} of ${daily} daily solves (≥ ${p} %) on ${day}.`,
    )
    reconcile(out, subject, 'daily_limit', day, dailyWanted, at)
    const budget = tenant.limits.monthlyBudgetMicros
    const budgetWanted = reached(
      pcts,
      monthSpendMicros,
      budget,
      (p) =>
        `${tenant.name} spent ${formatMoney(monthSpendMicros, 2)} of its ${formatMoney(budget ?? 0, 2)} budget (≥ ${p} %) in ${month}.`,
    )
    reconcile(out, subject, 'monthly_budget', month, budgetWanted, at)
    return out
  }

  // Local day/month bounds per zone, recomputed only when the local date changes.
  const bounds = new Map<string, { day: string; dayB: [number, number]; monthB: [number, number] }>()
  function boundsAt(
    tz: string,
    at: number,
  ): { day: string; dayB: [number, number]; monthB: [number, number] } {
    const day = localDateOf(at, tz)
    let b = bounds.get(tz)
    if (!b || b.day !== day) {
      b = { day, dayB: localDayBounds(day, tz), monthB: localMonthBounds(day.slice(0, 7), tz) }
      bounds.set(tz, b)
    }
    return b
  }

  return {
    evaluate(at = now(), tenantId) {
      if (!deps.tenants || !deps.usage)
        throw new Error('evaluate() needs the tenant list and a usage source (createAlertEngine deps)')
      const list = tenantId
        ? [deps.tenants.get(tenantId)].filter((t) => t !== undefined)
        : deps.tenants.list()
      const out: AlertEvent[] = []
      for (const t of list) {
        const b = boundsAt(t.timezone, at)
        const needDay = t.limits.solvesPerDay !== undefined
        const needMonth = t.limits.monthlyBudgetMicros !== undefined
        out.push(
          ...evaluateTenant(
            {
              tenant: t,
              day: b.day,
              dayCount: needDay ? deps.usage.dayCount(t.id, b.dayB[0], b.dayB[1]) : 0,
              month: b.day.slice(0, 7),
              monthSpendMicros: needMonth ? deps.usage.monthSpend(t.id, b.monthB[0], b.monthB[1]) : 0,
            },
            at,
          ),
        )
      }
      return out
    },
    evaluateTenant: (u) => evaluateTenant(u),
    evaluateBalance(account, label, balance, threshold) {
      const out: AlertEvent[] = []
      const wanted = new Map<number, { value: number; message: string }>()
      if (balance < threshold)
        wanted.set(0, {
          value: balance,
          message: `${label}: balance ${formatMoney(balance, 2)} is below ${formatMoney(threshold, 2)}.`,
        })
      reconcile(out, `account:${account}`, 'low_balance', 'current', wanted, now())
      return out
    },
    get(id) {
      const r = s.byId.get(id) as Record<string, unknown> | undefined
      return r && toAlert(r)
    },
    evaluateCredit(tenant, prepaid, left, threshold) {
      const out: AlertEvent[] = []
      const wanted = new Map<number, { value: number; message: string }>()
      if (prepaid && tenant.status !== 'deleted' && left < threshold)
        wanted.set(0, {
          value: left,
          message: `${tenant.name}: prepaid credit ${formatMoney(left, 2)} is below ${formatMoney(threshold, 2)}.`,
        })
      reconcile(out, `tenant:${tenant.id}`, 'low_credit', 'current', wanted, now())
      return out
    },
    list({ activeOnly = false, limit = 200, subject } = {}) {
      const lim = Math.min(1000, Math.max(1, Math.floor(Number.isFinite(limit) ? limit : 200)))
      const where = [activeOnly ? 'resolved_at IS NULL' : '', subject !== undefined ? 'subject = ?' : '']
        .filter(Boolean)
        .join(' AND ')
      const rows = db
        .prepare(
          `SELECT * FROM alerts ${where ? `WHERE ${where}` : ''} ORDER BY raised_at DESC, id DESC LIMIT ${lim}`,
        )
        .all(...(subject !== undefined ? [subject] : [])) as Array<Record<string, unknown>>
      return rows.map(toAlert)
    },
    onAlert(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
