/**
 * Gateway keys: CaptchaDesk issues each tenant a 32-character key for the gateway. Only its SHA-256 is stored (the
 * keys are random, so a fast hash is enough, as LiteLLM does); it is shown once; rotation keeps the old key working
 * for a grace period; revocation is immediate.
 */
import { hash as digest, randomInt } from 'node:crypto'
import { migrate } from '../db/migrations'
import { type Database } from '../db/database'

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'

const MIGRATIONS = [
  (db: Database) =>
    db.exec(`CREATE TABLE gateway_keys (
      key_hash   TEXT PRIMARY KEY,
      tenant_id  TEXT NOT NULL,
      last4      TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER,
      revoked_at INTEGER
    ) STRICT;
    CREATE INDEX gateway_keys_tenant ON gateway_keys (tenant_id);`),
]

export interface GatewayKeyInfo {
  tenantId: string
  last4: string
  createdAt: number
  expiresAt: number | null
}

export interface GatewayKeys {
  issue(tenantId: string, graceMs?: number): { key: string; info: GatewayKeyInfo }
  revoke(tenantId: string): number
  lookup(key: string): string | undefined
  list(tenantId?: string): GatewayKeyInfo[]
}

const CACHE_MS = 1_000
const CACHE_MAX = 10_000

// One-shot (crypto.hash): half the CPU of createHash().update().digest(), on every gateway request.
const hash = (key: string): string => digest('sha256', key, 'hex')

export function createGatewayKeys(db: Database, now: () => number = Date.now): GatewayKeys {
  migrate(db, 'gateway', MIGRATIONS)
  const active = 'revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)'
  // Every gateway request looks its key up: prepared once, not parsed per request.
  const byHash = db.prepare(`SELECT tenant_id, expires_at FROM gateway_keys WHERE key_hash = ? AND ${active}`)
  /**
   * Valid keys seen in the last second (by hash, never the key itself), so a busy tenant's requests do not each query
   * the database. Issuing or revoking through this object clears it at once; a change made by another process on
   * the same data folder is seen within CACHE_MS. Unknown keys are never cached (a flood of bad keys cannot fill it).
   */
  const cache = new Map<string, { tenantId: string; expiresAt: number | null; checkedAt: number }>()
  const forget = (): void => cache.clear()
  return {
    issue(tenantId, graceMs = 0) {
      let key = ''
      for (let i = 0; i < 32; i++) key += ALPHABET[randomInt(ALPHABET.length)]
      const at = now()
      db.exec('BEGIN IMMEDIATE')
      forget()
      try {
        // The previous key keeps working for the grace period, then expires.
        db.prepare(`UPDATE gateway_keys SET expires_at = ? WHERE tenant_id = ? AND ${active}`).run(
          at + graceMs,
          tenantId,
          at,
        )
        db.prepare(
          'INSERT INTO gateway_keys (key_hash, tenant_id, last4, created_at) VALUES (?, ?, ?, ?)',
        ).run(hash(key), tenantId, key.slice(-4), at)
        db.exec('COMMIT')
      } catch (err) {
        db.exec('ROLLBACK')
        throw err
      }
      return { key, info: { tenantId, last4: key.slice(-4), createdAt: at, expiresAt: null } }
    },
    revoke(tenantId) {
      forget()
      const r = db
        .prepare(`UPDATE gateway_keys SET revoked_at = ? WHERE tenant_id = ? AND ${active}`)
        .run(now(), tenantId, now())
      return Number(r.changes)
    },
    lookup(key) {
      if (typeof key !== 'string' || key.length !== 32) return undefined
      const h = hash(key)
      const at = now()
      const hit = cache.get(h)
      if (hit && at - hit.checkedAt < CACHE_MS && at >= hit.checkedAt) {
        if (hit.expiresAt === null || hit.expiresAt > at) return hit.tenantId
        cache.delete(h)
        return undefined
      }
      const row = byHash.get(h, at) as { tenant_id: string; expires_at: number | null } | undefined
      if (!row) {
        cache.delete(h)
        return undefined
      }
      if (cache.size >= CACHE_MAX) cache.clear()
      const expiresAt = row.expires_at === null ? null : Number(row.expires_at)
      cache.set(h, { tenantId: row.tenant_id, expiresAt, checkedAt: at })
      return row.tenant_id
    },
    list(tenantId) {
      const rows = (
        tenantId
          ? db
              .prepare(`SELECT * FROM gateway_keys WHERE tenant_id = ? AND ${active} ORDER BY created_at`)
              .all(tenantId, now())
          : db.prepare(`SELECT * FROM gateway_keys WHERE ${active} ORDER BY created_at`).all(now())
      ) as Array<Record<string, unknown>>
      return rows.map((r) => ({
        tenantId: String(r.tenant_id),
        last4: String(r.last4),
        createdAt: Number(r.created_at),
        expiresAt: r.expires_at === null ? null : Number(r.expires_at),
      }))
    },
  }
}
