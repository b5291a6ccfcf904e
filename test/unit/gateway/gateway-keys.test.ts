import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createGatewayKeys } from '../../../electron/engine/gateway'
import { openDatabase } from '../../../electron/engine/db/database'

describe('gateway keys', () => {
  it('are 32 characters, stored only as a hash, rotated with a grace period and revocable', () => {
    let now = 1_000_000
    const db = openDatabase(':memory:')
    const keys = createGatewayKeys(db, () => now)
    const first = keys.issue('t_a')
    expect(first.key).toMatch(/^[a-z0-9]{32}$/)
    expect(JSON.stringify(db.prepare('SELECT * FROM gateway_keys').all())).not.toContain(first.key)
    expect(keys.lookup(first.key)).toBe('t_a')
    const second = keys.issue('t_a', 60_000)
    expect(keys.lookup(first.key)).toBe('t_a')
    now += 60_001
    expect(keys.lookup(first.key)).toBeUndefined()
    expect(keys.lookup(second.key)).toBe('t_a')
    expect(keys.list('t_a')).toEqual([
      expect.objectContaining({ last4: second.key.slice(-4), expiresAt: null }),
    ])
    expect(keys.revoke('t_a')).toBe(1)
    expect(keys.lookup(second.key)).toBeUndefined()
    expect(keys.lookup('')).toBeUndefined()
    expect(keys.lookup('x'.repeat(32))).toBeUndefined()
    db.close()
  })

  it('remember valid keys for a second: changes here act at once, another process’s within the second', () => {
    let now = 5_000_000
    const dir = mkdtempSync(join(tmpdir(), 'gateway-keys-'))
    const db = openDatabase(join(dir, 'engine.db'))
    const keys = createGatewayKeys(db, () => now)
    /** Another process on the same data folder revokes a tenant's keys. */
    const revokeElsewhere = (tenantId: string) => {
      const other = openDatabase(join(dir, 'engine.db'))
      createGatewayKeys(other, () => now).revoke(tenantId)
      other.close()
    }
    const { key } = keys.issue('t_a')
    expect(keys.lookup(key)).toBe('t_a') // now cached
    // Rotation with a grace period: the cached old key still expires on time.
    const { key: next } = keys.issue('t_a', 500)
    expect(keys.lookup(key)).toBe('t_a')
    now += 501
    expect(keys.lookup(key)).toBeUndefined()
    expect(keys.lookup(next)).toBe('t_a')
    // Revoked here: refused at once, although it was looked up (cached) a moment ago.
    keys.revoke('t_a')
    expect(keys.lookup(next)).toBeUndefined()
    // Revoked by another process on the same database: refused once the second has passed.
    const { key: third } = keys.issue('t_a')
    expect(keys.lookup(third)).toBe('t_a')
    revokeElsewhere('t_a')
    now += 999
    expect(keys.lookup(third)).toBe('t_a')
    now += 2
    expect(keys.lookup(third)).toBeUndefined()
    // A clock that steps back does not stretch the second.
    const { key: fourth } = keys.issue('t_b')
    expect(keys.lookup(fourth)).toBe('t_b')
    revokeElsewhere('t_b')
    now -= 10_000
    expect(keys.lookup(fourth)).toBeUndefined()
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })
})
