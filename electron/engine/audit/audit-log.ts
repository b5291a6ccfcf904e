/** Append-only audit log in the engine database: who changed what, when. Anything that looks like a key is redacted. */
import { migrate, type Database } from '../ledger/database'

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
  list(q?: { limit?: number; beforeId?: number; subjectId?: string }): AuditEntry[]
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

/** Values shaped like upstream or gateway keys (long runs of letters and digits), or fields named like secrets. */
const KEYLIKE = /\b[A-Za-z0-9]{32,}\b/g
const SECRET_FIELD = /(key|secret|passphrase|password|token)$/i

export function redactSecrets(value: unknown, path = ''): { value: unknown; redacted: string[] } {
  const redacted: string[] = []
  const walk = (v: unknown, p: string, depth: number): unknown => {
    if (depth > 8) return '[too deep]'
    if (typeof v === 'string') {
      if (SECRET_FIELD.test(p.split('.').pop() ?? '') && v.length > 0) {
        redacted.push(p)
        return '[redacted]'
      }
      if (KEYLIKE.test(v)) {
        KEYLIKE.lastIndex = 0
        redacted.push(p)
        return v.replace(KEYLIKE, '[redacted]')
      }
      return v.length > 2000 ? `${v.slice(0, 2000)}…` : v
    }
    if (Array.isArray(v)) return v.slice(0, 100).map((x, i) => walk(x, `${p}[${i}]`, depth + 1))
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {}
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, p ? `${p}.${k}` : k, depth + 1)
      return out
    }
    return v
  }
  return { value: walk(value, path, 0), redacted }
}

export function openAuditLog(db: Database, now: () => number = Date.now): AuditLog {
  migrate(db, 'audit', MIGRATIONS)
  const insert = db.prepare(
    'INSERT INTO audit_log (at, actor, action, subject_type, subject_id, details_json) VALUES (?, ?, ?, ?, ?, ?)',
  )
  return {
    record(e) {
      const { value, redacted } = redactSecrets(e.details ?? {})
      const details = redacted.length > 0 ? { ...(value as object), _redacted: redacted } : value
      insert.run(
        now(),
        e.actor.slice(0, 100),
        e.action.slice(0, 100),
        e.subjectType.slice(0, 50),
        e.subjectId ?? null,
        JSON.stringify(details),
      )
    },
    list(q = {}) {
      const limit = Math.min(Math.max(1, Math.floor(q.limit ?? 100)), 1000)
      const where: string[] = []
      const args: Array<string | number> = []
      if (q.beforeId !== undefined) {
        where.push('id < ?')
        args.push(q.beforeId)
      }
      if (q.subjectId !== undefined) {
        where.push('subject_id = ?')
        args.push(q.subjectId)
      }
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
