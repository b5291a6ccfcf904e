/**
 * Threshold alerts: per tenant, % of the daily limit and of the monthly budget; per upstream account, a low balance.
 * Each (subject, kind, threshold, period) fires at most once and resolves when it no longer holds; kept in the
 * database and emitted as events (the console shows them and raises desktop notifications).
 */
import type { Micros } from '@shared/money'
import { formatMoney } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import type { Database } from '../ledger/database'

export type AlertKind = 'daily_limit' | 'monthly_budget' | 'low_balance'

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

export interface AlertEngine {
  evaluateTenant(u: TenantUsageNow): void
  evaluateBalance(account: string, label: string, balanceMicros: Micros, thresholdMicros: Micros): void
  list(q?: { activeOnly?: boolean; limit?: number }): Alert[]
  onAlert(listener: (e: AlertEvent) => void): () => void
}

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

export function createAlertEngine(db: Database, now: () => number = Date.now): AlertEngine {
  const listeners = new Set<(e: AlertEvent) => void>()
  const find = db.prepare(
    'SELECT * FROM alerts WHERE subject = ? AND kind = ? AND threshold = ? AND period = ?',
  )
  const insert = db.prepare(
    'INSERT INTO alerts (subject, kind, threshold, period, raised_at, value, message) VALUES (?, ?, ?, ?, ?, ?, ?)',
  )
  const reopen = db.prepare(
    'UPDATE alerts SET resolved_at = NULL, raised_at = ?, value = ?, message = ? WHERE id = ?',
  )
  const resolve = db.prepare('UPDATE alerts SET resolved_at = ? WHERE id = ?')
  const emit = (type: AlertEvent['type'], id: number): void => {
    const alert = toAlert(db.prepare('SELECT * FROM alerts WHERE id = ?').get(id) as Record<string, unknown>)
    for (const l of listeners) l({ type, alert })
  }

  /** Raises when `holds` and not yet raised for the period; resolves a raised one when it no longer holds. */
  function apply(
    subject: string,
    kind: AlertKind,
    threshold: number,
    period: string,
    holds: boolean,
    value: number,
    message: string,
  ): void {
    const row = find.get(subject, kind, threshold, period) as Record<string, unknown> | undefined
    if (holds) {
      if (!row) {
        const r = insert.run(subject, kind, threshold, period, now(), value, message)
        emit('raised', Number(r.lastInsertRowid))
      } else if (row.resolved_at !== null && kind === 'low_balance') {
        // A balance can drop again in the same period after a top-up; once-per-period applies to usage alerts.
        reopen.run(now(), value, message, Number(row.id))
        emit('raised', Number(row.id))
      }
    } else if (row && row.resolved_at === null) {
      resolve.run(now(), Number(row.id))
      emit('resolved', Number(row.id))
    }
  }

  const stale = db.prepare(
    'SELECT id FROM alerts WHERE subject = ? AND kind = ? AND period != ? AND resolved_at IS NULL',
  )
  /** A new day or month ends the previous period's alerts. */
  function closeOldPeriods(subject: string, kind: AlertKind, period: string): void {
    for (const r of stale.all(subject, kind, period) as Array<{ id: number }>) {
      resolve.run(now(), Number(r.id))
      emit('resolved', Number(r.id))
    }
  }

  return {
    evaluateTenant({ tenant, day, dayCount, month, monthSpendMicros }) {
      closeOldPeriods(`tenant:${tenant.id}`, 'daily_limit', day)
      closeOldPeriods(`tenant:${tenant.id}`, 'monthly_budget', month)
      const pcts = tenant.alertThresholds.percents
      const daily = tenant.limits.solvesPerDay
      if (daily !== undefined) {
        for (const p of pcts) {
          const holds = dayCount * 100 >= daily * p
          apply(
            `tenant:${tenant.id}`,
            'daily_limit',
            p,
            day,
            holds,
            dayCount,
            `${tenant.name} used ${dayCount} of ${daily} daily solves (≥ ${p} %) on ${day}.`,
          )
        }
      }
      const budget = tenant.limits.monthlyBudgetMicros
      if (budget !== undefined && budget > 0) {
        for (const p of pcts) {
          const holds = monthSpendMicros * 100 >= budget * p
          apply(
            `tenant:${tenant.id}`,
            'monthly_budget',
            p,
            month,
            holds,
            monthSpendMicros,
            `${tenant.name} spent ${formatMoney(monthSpendMicros, 2)} of its ${formatMoney(budget, 2)} budget (≥ ${p} %) in ${month}.`,
          )
        }
      }
    },
    evaluateBalance(account, label, balance, threshold) {
      apply(
        `account:${account}`,
        'low_balance',
        0,
        'current',
        balance < threshold,
        balance,
        `${label}: balance ${formatMoney(balance, 2)} is below ${formatMoney(threshold, 2)}.`,
      )
    },
    list({ activeOnly = false, limit = 200 } = {}) {
      const rows = db
        .prepare(
          `SELECT * FROM alerts ${activeOnly ? 'WHERE resolved_at IS NULL' : ''} ORDER BY raised_at DESC, id DESC LIMIT ${Math.min(1000, Math.max(1, Math.floor(limit)))}`,
        )
        .all() as Array<Record<string, unknown>>
      return rows.map(toAlert)
    },
    onAlert(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
