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
})
