/**
 * The operator's acknowledgements of alerts ("seen it"), kept beside the alerts in the engine database. An alert
 * stays active until its condition clears; acknowledging only marks it as seen (and stops desktop reminders).
 */
import type { Alert, AlertKind } from '../alerts/alert-engine'
import { migrate, type Database } from '../ledger/database'

const MIGRATIONS: ReadonlyArray<(db: Database) => void> = [
  (db) =>
    db.exec(
      'CREATE TABLE alert_acks (alert_id INTEGER PRIMARY KEY, acknowledged_at INTEGER NOT NULL, actor TEXT NOT NULL)',
    ),
]

export type AcknowledgedAlert = Alert & { acknowledgedAt: number | null }

export interface AlertAcks {
  /** Marks an alert as seen; the first acknowledgement's time is kept. Unknown ids → undefined. */
  ack(id: number, actor: string): AcknowledgedAlert | undefined
  /** The alerts with their acknowledgement time (null when not yet seen). */
  annotate(alerts: Alert[]): AcknowledgedAlert[]
}

export function createAlertAcks(db: Database, now: () => number = Date.now): AlertAcks {
  migrate(db, 'console', MIGRATIONS)
  const get = db.prepare('SELECT acknowledged_at FROM alert_acks WHERE alert_id = ?')
  const insert = db.prepare(
    'INSERT INTO alert_acks (alert_id, acknowledged_at, actor) VALUES (?, ?, ?) ON CONFLICT(alert_id) DO NOTHING',
  )
  const findAlert = db.prepare('SELECT * FROM alerts WHERE id = ?')
  const ackedAt = (id: number): number | null => {
    const row = get.get(id) as { acknowledged_at: number } | undefined
    return row ? Number(row.acknowledged_at) : null
  }
  return {
    ack(id, actor) {
      const r = findAlert.get(id) as Record<string, unknown> | undefined
      if (!r) return undefined
      insert.run(id, now(), actor)
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
        acknowledgedAt: ackedAt(id),
      }
    },
    annotate(alerts) {
      return alerts.map((a) => ({ ...a, acknowledgedAt: ackedAt(a.id) }))
    },
  }
}
