import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Tenant } from '@shared/tenant'
import {
  createAlertEngine,
  ledgerUsageSource,
  thresholdsOf,
  type AlertEvent,
} from '../../../electron/engine/alerts/alert-engine'
import { openDatabase, type Database } from '../../../electron/engine/db/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import type { Ledger } from '../../../electron/engine/ledger/types'
import { seedAttempts } from '../../support/ledger-seed'
import { tenantFixture } from '../../support/tenant-fixture'

let db: Database
let ledger: Ledger
beforeEach(() => {
  db = openDatabase(':memory:')
  ledger = openSqliteLedger(db)
})
afterEach(() => db.close())

const events = (list: AlertEvent[]): string[] =>
  list.map((e) => `${e.type}:${e.alert.kind}:${e.alert.threshold}:${e.alert.period}`)

describe('threshold alerts from usage values', () => {
  it('one alert per event (the highest threshold crossed), once per period, resolved when it no longer holds', () => {
    const alerts = createAlertEngine(db, () => 1_000)
    const seen: string[] = []
    alerts.onAlert((e) => seen.push(...events([e])))
    let t = tenantFixture('t_a', { limits: { solvesPerDay: 100, monthlyBudgetMicros: 1_000_000 } })
    const at = (dayCount: number, spend: number, day = '2026-11-24') =>
      events(
        alerts.evaluateTenant({ tenant: t, day, dayCount, month: day.slice(0, 7), monthSpendMicros: spend }),
      )
    expect(at(79, 0)).toEqual([])
    expect(at(80, 0)).toEqual(['raised:daily_limit:80:2026-11-24'])
    expect(at(85, 0)).toEqual([])
    // 95 and 100 % crossed in one step: one alert (100 %); the 80 % one it replaces closes without an event.
    expect(at(100, 960_000)).toEqual([
      'raised:daily_limit:100:2026-11-24',
      'raised:monthly_budget:95:2026-11',
    ])
    expect(alerts.list({ activeOnly: true }).map((a) => a.threshold)).toEqual([95, 100])
    expect(at(100, 960_000)).toEqual([]) // no repeats
    // A new day ends yesterday's daily alert; the month's stays.
    expect(at(0, 960_000, '2026-11-25')).toEqual(['resolved:daily_limit:100:2026-11-24'])
    // The operator raises the daily limit: what no longer holds resolves, and does not fire again that day.
    expect(at(96, 960_000, '2026-11-25')).toEqual(['raised:daily_limit:95:2026-11-25'])
    t = { ...t, limits: { ...t.limits, solvesPerDay: 200 } }
    expect(at(96, 960_000, '2026-11-25')).toEqual(['resolved:daily_limit:95:2026-11-25'])
    t = { ...t, limits: { ...t.limits, solvesPerDay: 100 } }
    expect(at(96, 960_000, '2026-11-25')).toEqual([])
    // The budget is removed: its alert resolves.
    t = { ...t, limits: { solvesPerDay: 100 } }
    expect(at(96, 960_000, '2026-11-25')).toEqual(['resolved:monthly_budget:95:2026-11'])
    expect(seen.length).toBe(1 + 2 + 1 + 1 + 1 + 1)
    expect(alerts.list({ activeOnly: true })).toEqual([])
    expect(alerts.list().length).toBe(4)
  })

  it('repeated checks read the table once per change, and leave it as an engine reading afresh would', () => {
    const reads = { n: 0 }
    const counted = new Proxy(db, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown
        if (prop !== 'prepare') return typeof value === 'function' ? value.bind(target) : value
        return (sql: string) => {
          const stmt = target.prepare(sql)
          if (!sql.includes('(period = ? OR resolved_at IS NULL)')) return stmt
          return new Proxy(stmt, {
            get(st, p) {
              const v = Reflect.get(st, p, st) as unknown
              if (p !== 'all' || typeof v !== 'function') return typeof v === 'function' ? v.bind(st) : v
              return (...args: unknown[]) => {
                reads.n++
                return (v as (...a: unknown[]) => unknown).apply(st, args)
              }
            },
          })
        }
      },
    })
    const alerts = createAlertEngine(counted, () => 1_000)
    let t = tenantFixture('t_c', { limits: { solvesPerDay: 100 } })
    const step = (dayCount: number, day: string): string[] => {
      const u = { tenant: t, day, dayCount, month: day.slice(0, 7), monthSpendMicros: 0 }
      const got = events(alerts.evaluateTenant(u))
      // A second engine on the same file, with nothing remembered, finds nothing left to do.
      expect(events(createAlertEngine(db, () => 2_000).evaluateTenant(u))).toEqual([])
      return got
    }
    expect(step(10, '2026-11-24')).toEqual([])
    const before = reads.n
    for (let i = 0; i < 20; i++) expect(step(10 + i, '2026-11-24')).toEqual([])
    expect(reads.n - before).toBe(0) // nothing changed: no reads (two kinds per check)
    expect(step(80, '2026-11-24')).toEqual(['raised:daily_limit:80:2026-11-24'])
    expect(step(81, '2026-11-24')).toEqual([])
    expect(step(100, '2026-11-24')).toEqual(['raised:daily_limit:100:2026-11-24'])
    expect(step(5, '2026-11-25')).toEqual(['resolved:daily_limit:100:2026-11-24'])
    expect(step(96, '2026-11-25')).toEqual(['raised:daily_limit:95:2026-11-25'])
    t = { ...t, limits: { solvesPerDay: 200 } }
    expect(step(96, '2026-11-25')).toEqual(['resolved:daily_limit:95:2026-11-25'])
    t = { ...t, limits: { solvesPerDay: 100 } }
    expect(step(97, '2026-11-25')).toEqual([]) // resolved today: not raised again the same day
    // The tenant's time zone moves it back a day, then forward again: each day reads its own rows (yesterday's
    // 100 % alert was resolved: not raised again for that day).
    expect(step(100, '2026-11-24')).toEqual([])
    expect(step(97, '2026-11-25')).toEqual([])
    expect(alerts.list({ activeOnly: true })).toEqual([])
  })

  it('a prepaid tenant’s low credit raises once, resolves on a top-up, and can be raised again', () => {
    const alerts = createAlertEngine(db, () => 1_000)
    const t = tenantFixture('t_c')
    expect(events(alerts.evaluateCredit(t, true, 500_000, 1_000_000))).toEqual([
      'raised:low_credit:0:current',
    ])
    expect(alerts.evaluateCredit(t, true, 400_000, 1_000_000)).toEqual([])
    expect(events(alerts.evaluateCredit(t, true, 5_000_000, 1_000_000))).toEqual([
      'resolved:low_credit:0:current',
    ])
    expect(events(alerts.evaluateCredit(t, true, 0, 1_000_000))).toEqual(['raised:low_credit:0:current'])
    expect(events(alerts.evaluateCredit(t, false, 0, 1_000_000))).toEqual(['resolved:low_credit:0:current'])
    expect(alerts.list()[0]!.subject).toBe('tenant:t_c')
  })

  it('uses the tenant’s thresholds, or 80/95/100 when none are set', () => {
    expect(thresholdsOf(tenantFixture('a', { alertThresholds: { percents: [] } }))).toEqual([80, 95, 100])
    expect(
      thresholdsOf(tenantFixture('a', { alertThresholds: { percents: [50, 50, 0, 1.5, 120] } })),
    ).toEqual([50, 120])
    const alerts = createAlertEngine(db, () => 1)
    const t = tenantFixture('t_a', { limits: { solvesPerDay: 10 }, alertThresholds: { percents: [50] } })
    expect(
      events(
        alerts.evaluateTenant({
          tenant: t,
          day: '2026-11-24',
          dayCount: 5,
          month: '2026-11',
          monthSpendMicros: 0,
        }),
      ),
    ).toEqual(['raised:daily_limit:50:2026-11-24'])
  })

  it('low balance: raised below the threshold, resolved after a top-up, raised again on a new drop', () => {
    const alerts = createAlertEngine(db, () => 5)
    const b = (v: number) => events(alerts.evaluateBalance('sandbox:abc', 'Platform key', v, 1_000_000))
    expect(b(2_000_000)).toEqual([])
    expect(b(500_000)).toEqual(['raised:low_balance:0:current'])
    expect(b(400_000)).toEqual([])
    expect(b(5_000_000)).toEqual(['resolved:low_balance:0:current'])
    expect(b(10)).toEqual(['raised:low_balance:0:current'])
    expect(alerts.list({ activeOnly: true, subject: 'account:sandbox:abc' })).toEqual([
      expect.objectContaining({ kind: 'low_balance', value: 10, resolvedAt: null }),
    ])
  })

  it('a throwing listener neither stops the others nor the caller', () => {
    const alerts = createAlertEngine(db, () => 1)
    const got: string[] = []
    alerts.onAlert(() => {
      throw new Error('boom')
    })
    const off = alerts.onAlert((e) => got.push(e.type))
    const orig = console.error
    console.error = () => undefined
    try {
      alerts.evaluateBalance('x:y', 'K', 0, 1)
    } finally {
      console.error = orig
    }
    expect(got).toEqual(['raised'])
    off()
    alerts.evaluateBalance('x:y', 'K', 5, 1)
    expect(got).toEqual(['raised'])
  })
})

describe('evaluate(now) from the ledger', () => {
  const tenants: Tenant[] = [
    tenantFixture('t_be', {
      timezone: 'Europe/Berlin',
      limits: { solvesPerDay: 4, monthlyBudgetMicros: 10_000 },
    }),
    tenantFixture('t_ny', {
      timezone: 'America/New_York',
      limits: { solvesPerDay: 4 },
      alertThresholds: { percents: [70] },
    }),
    tenantFixture('t_no', { limits: {} }),
  ]
  const lookup = { get: (id: string) => tenants.find((t) => t.id === id), list: () => tenants }

  it('counts each tenant’s local day and month and is idempotent', () => {
    let now = Date.parse('2026-11-24T22:30:00Z') // Berlin: Nov 24 23:30; New York: Nov 24 17:30
    const alerts = createAlertEngine(db, () => now, { tenants: lookup, usage: ledgerUsageSource(ledger) })
    const base = Date.parse('2026-11-24T12:00:00Z')
    seedAttempts(
      db,
      [0, 1, 2, 3].map((i) => ({
        id: `s${i}`,
        tenantId: 't_be',
        type: 'image' as const,
        endedAt: base + i,
        price: 2_000,
      })),
    )
    seedAttempts(
      db,
      [4, 5, 6].map((i) => ({
        id: `s${i}`,
        tenantId: 't_ny',
        type: 'image' as const,
        endedAt: base + i,
        price: 1,
      })),
    )
    seedAttempts(db, [{ id: 's7', tenantId: 't_no', type: 'image', endedAt: base, price: 1 }])
    expect(events(alerts.evaluate())).toEqual([
      'raised:daily_limit:100:2026-11-24',
      'raised:monthly_budget:80:2026-11',
      'raised:daily_limit:70:2026-11-24',
    ])
    expect(alerts.evaluate()).toEqual([])
    // One hour later it is Nov 25 in Berlin (new day, same month) but still Nov 24 in New York.
    now += 3_600_000
    expect(events(alerts.evaluate(now))).toEqual(['resolved:daily_limit:100:2026-11-24'])
    expect(events(alerts.evaluate(now, 't_ny'))).toEqual([])
    expect(alerts.evaluate(now, 'nobody')).toEqual([])
    expect(() => createAlertEngine(db).evaluate()).toThrow(/usage source/)
  })
})
