/** Bad-key bans: counted per source and presented key, reported once, liftable, bounded in memory. */
import { describe, expect, it } from 'vitest'
import { BadKeyGuard, type BanInfo } from '../../../electron/engine/gateway/bad-key-guard'

describe('bad-key guard', () => {
  it('bans a source after the limit within the window, reports it once, and lifts it on request', () => {
    let now = 1_000_000
    const bans: BanInfo[] = []
    const g = new BadKeyGuard({
      now: () => now,
      limit: 3,
      windowMs: 60_000,
      banMs: 300_000,
      onBan: (b) => bans.push(b),
    })
    expect(g.fail('10.0.0.1', 'a'.repeat(32))).toBeUndefined()
    now += 70_000 // outside the window: the first failure no longer counts
    expect(g.fail('10.0.0.1', 'b'.repeat(32))).toBeUndefined()
    expect(g.fail('10.0.0.1', 'b'.repeat(32))).toBeUndefined()
    const ban = g.fail('10.0.0.1', undefined)
    expect(ban).toMatchObject({ source: '10.0.0.1', failures: 3, distinctKeys: 2, until: now + 300_000 })
    expect(bans).toHaveLength(1)
    expect(g.banned('10.0.0.1')).toBeDefined()
    expect(g.banned('10.0.0.2')).toBeUndefined() // another address is untouched
    g.fail('10.0.0.1', 'c'.repeat(32)) // more failures while banned start no second ban
    expect(bans).toHaveLength(1)
    const f = g.failures()
    expect(f.every((x) => /^[0-9a-f]{8}$|^\(none\)$/.test(x.keyFingerprint))).toBe(true)
    expect(JSON.stringify(f)).not.toContain('bbbb')
    expect(g.list().map((b) => b.source)).toEqual(['10.0.0.1'])
    expect(g.lift('10.0.0.1')).toBe(true)
    expect(g.banned('10.0.0.1')).toBeUndefined()
    expect(g.lift('10.0.0.1')).toBe(false)
  })

  it('a ban ends by itself, and the number of tracked sources is bounded', () => {
    let now = 0
    const g = new BadKeyGuard({ now: () => now, limit: 1, banMs: 1_000, maxSources: 100 })
    g.fail('s', 'k')
    expect(g.banned('s')).toBeDefined()
    now += 1_001
    expect(g.banned('s')).toBeUndefined()
    for (let i = 0; i < 10_000; i++) g.fail(`x${i}`, 'k')
    expect(new Set(g.failures(100_000).map((f) => f.source)).size).toBeLessThanOrEqual(100)
  })
})
