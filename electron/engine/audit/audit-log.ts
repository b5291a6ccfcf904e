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

/**
 * Values shaped like upstream or gateway keys: a run of 32 or more letters and digits, also when glued to other
 * text by `_`, `-` or `=` (e.g. "label_<key>"). Fields named like secrets are redacted whole, with everything below.
 */
const KEYLIKE = /(?<![A-Za-z0-9])[A-Za-z0-9]{32,}(?![A-Za-z0-9])/g
const SECRET_FIELD = /(key|secret|passphrase|password|token)$/i
const REDACTED = '[redacted]'

/** Replaces key-shaped runs in a string; says whether it did. */
function scrubString(v: string): { text: string; hit: boolean } {
  const text = v.replace(KEYLIKE, REDACTED)
  return { text, hit: text !== v }
}

export function redactSecrets(value: unknown, path = ''): { value: unknown; redacted: string[] } {
  const redacted: string[] = []
  const walk = (v: unknown, p: string, depth: number, secret: boolean): unknown => {
    if (depth > 8) return '[too deep]'
    if (typeof v === 'string') {
      if (secret && v.length > 0) {
        redacted.push(p)
        return REDACTED
      }
      const { text, hit } = scrubString(v)
      if (hit) redacted.push(p)
      return text.length > 2000 ? `${text.slice(0, 2000)}…` : text
    }
    if (Array.isArray(v)) return v.slice(0, 100).map((x, i) => walk(x, `${p}[${i}]`, depth + 1, secret))
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {}
      for (const [rawKey, x] of Object.entries(v)) {
        // A key can hide in a property name too (e.g. a map keyed by API key).
        const { text: k, hit } = scrubString(rawKey)
        const childPath = p ? `${p}.${k}` : k
        if (hit) redacted.push(childPath)
        out[k] = walk(x, childPath, depth + 1, secret || hit || SECRET_FIELD.test(rawKey))
      }
      return out
    }
    return v
  }
  return { value: walk(value, path, 0, false), redacted }
}

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
      if (q.beforeId !== undefined) {
        where.push('id < ?')
        args.push(q.beforeId)
      }
      if (q.subjectId !== undefined) {
        where.push('subject_id = ?')
        args.push(q.subjectId)
      }
      if (q.action !== undefined) {
        if (q.action.endsWith('.')) {
          where.push('substr(action, 1, ?) = ?')
          args.push(q.action.length, q.action)
        } else {
          where.push('action = ?')
          args.push(q.action)
        }
      }
      if (q.from !== undefined) {
        where.push('at >= ?')
        args.push(q.from)
      }
      if (q.to !== undefined) {
        where.push('at < ?')
        args.push(q.to)
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
