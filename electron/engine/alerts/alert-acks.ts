/**
 * The operator's acknowledgements of alerts ("seen it"), in the alerts component's `alert_acks` table. An alert
 * stays active until its condition clears; acknowledging only marks it as seen (and stops desktop reminders).
 */
import type { Database } from '../db/database'
import type { Alert, AlertEngine } from './alert-engine'

export type AcknowledgedAlert = Alert & { acknowledgedAt: number | null }

export interface AlertAcks {
  /** Marks an alert as seen; the first acknowledgement's time is kept. Unknown ids → undefined. */
  ack(id: number, actor: string): AcknowledgedAlert | undefined
  /** The alerts with their acknowledgement time (null when not yet seen). */
  annotate(alerts: Alert[]): AcknowledgedAlert[]
}

/** Needs the alert engine opened on the same database first (it owns and migrates the tables). */
export function createAlertAcks(
  db: Database,
  alerts: Pick<AlertEngine, 'get'>,
  now: () => number = Date.now,
): AlertAcks {
  const get = db.prepare('SELECT acknowledged_at FROM alert_acks WHERE alert_id = ?')
  const insert = db.prepare(
    'INSERT INTO alert_acks (alert_id, acknowledged_at, actor) VALUES (?, ?, ?) ON CONFLICT(alert_id) DO NOTHING',
  )
  const ackedAt = (id: number): number | null => {
    const row = get.get(id) as { acknowledged_at: number } | undefined
    return row ? Number(row.acknowledged_at) : null
  }
  return {
    ack(id, actor) {
      const alert = alerts.get(id)
      if (!alert) return undefined
      insert.run(id, now(), actor)
      return { ...alert, acknowledgedAt: ackedAt(id) }
    },
    annotate(alerts) {
      return alerts.map((a) => ({ ...a, acknowledgedAt: ackedAt(a.id) }))
    },
  }
}
