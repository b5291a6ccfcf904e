/** The migration runner, and a database from before components owned their tables opening as it is. */
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../../electron/engine/db/database'
import { migrate } from '../../../electron/engine/db/migrations'
import { createAlertAcks } from '../../../electron/engine/alerts/alert-acks'
import { createAlertEngine } from '../../../electron/engine/alerts/alert-engine'
import { openBilling } from '../../../electron/engine/billing'
import { createBalanceChecker } from '../../../electron/engine/balances/balance-checker'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'

const version = (db: ReturnType<typeof openDatabase>, c: string) =>
  (
    db.prepare('SELECT version FROM schema_versions WHERE component = ?').get(c) as
      { version: number } | undefined
  )?.version

describe('migration runner', () => {
  it('runs each component’s new steps once, in order, and records how far it got', () => {
    const db = openDatabase(':memory:')
    const ran: number[] = []
    const steps = [() => ran.push(1), () => ran.push(2)]
    const heard: number[] = []
    const onStep = (v: number, ms: number) => {
      expect(ms).toBeGreaterThanOrEqual(0)
      heard.push(v)
    }
    migrate(db, 'x', steps, onStep)
    migrate(db, 'x', steps, onStep)
    expect(ran).toEqual([1, 2])
    migrate(db, 'x', [...steps, () => ran.push(3)], onStep)
    expect(ran).toEqual([1, 2, 3])
    expect(heard).toEqual([1, 2, 3]) // each step that ran, once
    expect(version(db, 'x')).toBe(3)
  })

  it('a failing step changes nothing and is retried next time; a newer schema is refused', () => {
    const db = openDatabase(':memory:')
    const bad = [
      (d: typeof db) => d.exec('CREATE TABLE t (a INTEGER)'),
      (d: typeof db) => {
        d.exec('INSERT INTO t VALUES (1)')
        throw new Error('boom')
      },
    ]
    expect(() => migrate(db, 'y', bad)).toThrow('boom')
    expect(version(db, 'y')).toBe(1)
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 0 })
    expect(() => migrate(db, 'y', bad.slice(0, 0))).toThrow(/newer CaptchaDesk/)
  })

  it('a database laid out before components owned their tables opens without change', async () => {
    const db = openDatabase(':memory:')
    // The old layout: billing's first migration also made alerts and balance_checks; the console made alert_acks.
    const ledger = openSqliteLedger(db)
    db.exec(`CREATE TABLE alerts (id INTEGER PRIMARY KEY AUTOINCREMENT, subject TEXT NOT NULL, kind TEXT NOT NULL,
      threshold INTEGER NOT NULL, period TEXT NOT NULL, raised_at INTEGER NOT NULL, resolved_at INTEGER,
      value INTEGER NOT NULL, message TEXT NOT NULL, UNIQUE (subject, kind, threshold, period)) STRICT;
      CREATE TABLE balance_checks (id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, label TEXT NOT NULL,
      checked_at INTEGER NOT NULL, balance_micros INTEGER, error_code TEXT) STRICT;
      CREATE TABLE alert_acks (alert_id INTEGER PRIMARY KEY, acknowledged_at INTEGER NOT NULL, actor TEXT NOT NULL);
      INSERT INTO schema_versions VALUES ('console', 1);
      INSERT INTO alerts (subject, kind, threshold, period, raised_at, value, message)
        VALUES ('t1', 'daily_limit', 80, '2026-11-02', 5, 8, 'old alert');`)
    openBilling(db, ledger)
    const alerts = createAlertEngine(db)
    const acks = createAlertAcks(db, alerts, () => 7)
    createBalanceChecker({ db, provider: () => ({}) as never, keys: { accounts: () => [] } })
    expect(acks.ack(1, 'op')).toMatchObject({ message: 'old alert', acknowledgedAt: 7 })
    expect(version(db, 'alerts')).toBe(2)
    expect(version(db, 'balances')).toBe(1)
    expect(version(db, 'ledger')).toBe(5)
    await ledger.close()
  })
})
