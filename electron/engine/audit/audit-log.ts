/** Append-only audit log in the engine database: who changed what, when. Anything that looks like a key is redacted. */
import { migrate } from '../db/migrations'
import { type Database } from '../db/database'
import { redactSecrets, scrubString } from '../log/redact'

export interface AuditEntry {
  id: number
  at: number
  actor: string
  action: string
  subjectType: string
  subjectId: string | null
  details: Record<string, unknown>
}

export interface AuditLog {
  record(e: {
    actor: string
    action: string
    subjectType: string
    subjectId?: string | null
    details?: Record<string, unknown>
  }): void
  list(q?: {
    limit?: number
    beforeId?: number
    subjectId?: string
    /** An action ("vault.lock") or a family with a trailing dot ("vault."). */
    action?: string
    /** Epoch ms, inclusive / exclusive. */
    from?: number
    to?: number
  }): AuditEntry[]
}

const MIGRATIONS = [
  (db: Database) =>
    db.exec(`CREATE TABLE audit_log (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at INTEGER NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      subject_type TEXT NOT NULL,
      subject_id TEXT,
      details_json TEXT NOT NULL
    ) STRICT;
    CREATE INDEX audit_subject ON audit_log (subject_id, id);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;`),
]

/** Scrubs a short label column (actor, action, subject): key-shaped runs become [redacted]. */
function scrubLabel(v: string, max: number, redacted: string[], field: string): string {
  const { text, hit } = scrubString(v)
  if (hit) redacted.push(`(${field})`)
  return text.slice(0, max)
}

export function openAuditLog(db: Database, now: () => number = Date.now): AuditLog {
  migrate(db, 'audit', MIGRATIONS)
  const insert = db.prepare(
    'INSERT INTO audit_log (at, actor, action, subject_type, subject_id, details_json) VALUES (?, ?, ?, ?, ?, ?)',
  )
  return {
    record(e) {
      const { value, redacted } = redactSecrets(e.details ?? {})
      const actor = scrubLabel(String(e.actor), 100, redacted, 'actor')
      const action = scrubLabel(String(e.action), 100, redacted, 'action')
      const subjectType = scrubLabel(String(e.subjectType), 50, redacted, 'subjectType')
      const subjectId =
        e.subjectId == null ? null : scrubLabel(String(e.subjectId), 200, redacted, 'subjectId')
      const details = redacted.length > 0 ? { ...(value as object), _redacted: redacted } : value
      insert.run(now(), actor, action, subjectType, subjectId, JSON.stringify(details))
    },
    list(q = {}) {
      const limit = Math.min(Math.max(1, Math.floor(q.limit ?? 100)), 1000)
      const where: string[] = []
      const args: Array<string | number> = []
      /** Adds a condition with its arguments when the filter is given. */
      const when = (given: unknown, condition: string, ...values: Array<string | number>): void => {
        if (given === undefined) return
        where.push(condition)
        args.push(...values)
      }
      when(q.beforeId, 'id < ?', q.beforeId!)
      when(q.subjectId, 'subject_id = ?', q.subjectId!)
      if (q.action?.endsWith('.')) when(q.action, 'substr(action, 1, ?) = ?', q.action.length, q.action)
      else when(q.action, 'action = ?', q.action!)
      when(q.from, 'at >= ?', q.from!)
      when(q.to, 'at < ?', q.to!)
      const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`
      return (db.prepare(sql).all(...args) as Array<Record<string, unknown>>).map((r) => ({
        id: Number(r.id),
        at: Number(r.at),
        actor: String(r.actor),
        action: String(r.action),
        subjectType: String(r.subject_type),
        subjectId: (r.subject_id as string | null) ?? null,
        details: JSON.parse(String(r.details_json)) as Record<string, unknown>,
      }))
    },
  }
}
