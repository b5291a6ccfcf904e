import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_COST_PRICES } from '@shared/captcha'
import { allocateCosts } from '../../../electron/engine/billing'
import { openDatabase } from '../../../electron/engine/db/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import { seedAttempts, type SeedRow } from '../../support/ledger-seed'

const NOV = Date.parse('2026-11-01T00:00:00Z')
const DEC = Date.parse('2026-12-01T00:00:00Z')

function ledgerWith(rows: SeedRow[]) {
  const db = openDatabase(':memory:')
  const ledger = openSqliteLedger(db)
  seedAttempts(db, rows)
  return { db, ledger }
}

describe('plan mode', () => {
  it('shares add up exactly to the plan cost, by thread-seconds or by solves (random ledgers)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            t: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
            ms: fc.integer({ min: 0, max: 600_000 }),
            solved: fc.boolean(),
            acct: fc.constantFrom('sandbox:one', 'sandbox:two'),
            at: fc.integer({ min: NOV - 86_400_000, max: DEC + 86_400_000 }),
          }),
          { maxLength: 80 },
        ),
        fc.integer({ min: 0, max: 10 ** 12 }),
        fc.constantFrom('thread_seconds' as const, 'solves' as const),
        (rows, plan, by) => {
          const { db, ledger } = ledgerWith(
            rows.map((r, i) => ({
              id: `p${i}`,
              tenantId: r.t,
              type: 'image',
              endedAt: r.at,
              threadMs: r.ms,
              status: r.solved ? 'solved' : 'failed',
              account: r.acct,
            })),
          )
          const shares = allocateCosts(ledger, 'sandbox:one', NOV, DEC, {
            kind: 'plan',
            planCostMicros: plan,
            by,
          })
          db.close()
          const inScope = rows.filter(
            (r) => r.solved && r.acct === 'sandbox:one' && r.at >= NOV && r.at < DEC,
          )
          const tenants = [...new Set(inScope.map((r) => r.t))].sort()
          expect(shares.map((s) => s.tenantId)).toEqual(tenants)
          if (tenants.length > 0) expect(shares.reduce((s, x) => s + x.costMicros, 0)).toBe(plan)
          for (const s of shares) {
            expect(Number.isSafeInteger(s.costMicros) && s.costMicros >= 0).toBe(true)
            const mine = inScope.filter((r) => r.t === s.tenantId)
            expect(s.solves).toBe(mine.length)
            expect(s.threadMs).toBe(mine.reduce((x, r) => x + r.ms, 0))
            // Each share is within one micro of the exact proportional share.
            const w = by === 'solves' ? s.solves : s.threadMs
            const totalW = shares.reduce((x, y) => x + (by === 'solves' ? y.solves : y.threadMs), 0)
            if (totalW > 0) expect(Math.abs(s.costMicros - (plan * w) / totalW)).toBeLessThan(1.000001)
          }
        },
      ),
      { numRuns: 150 },
    )
  })

  it('remainder rule: largest remainder, then larger weight, then the tenant id that sorts first', () => {
    // 10 micros over thread-seconds 1:1:1 → 3.33 each; one micro left; equal remainders and weights → "a".
    const { db, ledger } = ledgerWith(
      ['c', 'a', 'b'].map((t, i) => ({
        id: `x${i}`,
        tenantId: t,
        type: 'image',
        endedAt: NOV + i,
        threadMs: 1_000,
      })),
    )
    expect(
      allocateCosts(ledger, 'sandbox:acct', NOV, DEC, {
        kind: 'plan',
        planCostMicros: 10,
        by: 'thread_seconds',
      }).map((s) => [s.tenantId, s.costMicros]),
    ).toEqual([
      ['a', 4],
      ['b', 3],
      ['c', 3],
    ])
    // Thread-seconds now 2:3:2; 8 micros → 2.29, 3.43, 2.29: one micro left → "b"
    // (largest remainder .43).
    seedAttempts(db, [
      { id: 'y11', tenantId: 'a', type: 'image', endedAt: NOV + 10, threadMs: 1_000 },
      { id: 'y12', tenantId: 'b', type: 'image', endedAt: NOV + 11, threadMs: 2_000 },
      { id: 'y13', tenantId: 'c', type: 'image', endedAt: NOV + 12, threadMs: 1_000 },
    ])
    expect(
      allocateCosts(ledger, 'sandbox:acct', NOV, DEC, {
        kind: 'plan',
        planCostMicros: 8,
        by: 'thread_seconds',
      }).map((s) => s.costMicros),
    ).toEqual([2, 4, 2])
    // By solves 2:2:2 with 5 micros: two left over, equal remainders → "a" then "b".
    expect(
      allocateCosts(ledger, 'sandbox:acct', NOV, DEC, { kind: 'plan', planCostMicros: 5, by: 'solves' }).map(
        (s) => s.costMicros,
      ),
    ).toEqual([2, 2, 1])
    db.close()
  })

  it('no weight at all (zero thread time) shares equally; no usage allocates nothing', () => {
    const { db, ledger } = ledgerWith([
      { id: 'z1', tenantId: 'a', type: 'image', endedAt: NOV + 1, threadMs: 0 },
      { id: 'z2', tenantId: 'b', type: 'image', endedAt: NOV + 2, threadMs: 0 },
    ])
    expect(
      allocateCosts(ledger, 'sandbox:acct', NOV, DEC, {
        kind: 'plan',
        planCostMicros: 3,
        by: 'thread_seconds',
      }).map((s) => s.costMicros),
    ).toEqual([2, 1])
    expect(
      allocateCosts(ledger, 'sandbox:acct', DEC, DEC + 1, { kind: 'plan', planCostMicros: 3, by: 'solves' }),
    ).toEqual([])
    expect(() => allocateCosts(ledger, 'sandbox:acct', DEC, NOV, { kind: 'per_solve' })).toThrow(RangeError)
    db.close()
  })
})

describe('per-solve modes', () => {
  it('per_solve sums the ledger’s recorded costs; failures cost nothing', () => {
    const { db, ledger } = ledgerWith([
      { id: 'c1', tenantId: 'a', type: 'image', endedAt: NOV + 1, cost: 1_000 },
      { id: 'c2', tenantId: 'a', type: 'turnstile', endedAt: NOV + 2, cost: 3_000 },
      { id: 'c3', tenantId: 'b', type: 'image', endedAt: NOV + 3, cost: 2_000, status: 'failed' },
    ])
    expect(allocateCosts(ledger, 'sandbox:acct', NOV, DEC, { kind: 'per_solve' })).toEqual([
      { tenantId: 'a', solves: 2, threadMs: 10_000, costMicros: 4_000 },
    ])
    db.close()
  })

  it('price_list prices solves by type, the seed’s defaults unless overridden', () => {
    expect(DEFAULT_COST_PRICES).toMatchObject({
      recaptcha_v2: 3_000,
      recaptcha_v3: 4_000,
      turnstile: 2_000,
      image: 1_000,
    })
    const { db, ledger } = ledgerWith([
      { id: 'd1', tenantId: 'a', type: 'recaptcha_v2', endedAt: NOV + 1, cost: 1 },
      { id: 'd2', tenantId: 'a', type: 'recaptcha_v3', endedAt: NOV + 2, cost: 1 },
      { id: 'd3', tenantId: 'a', type: 'turnstile', endedAt: NOV + 3, cost: 1 },
      { id: 'd4', tenantId: 'b', type: 'image', endedAt: NOV + 4, cost: 1 },
      { id: 'd5', tenantId: 'b', type: 'image', endedAt: NOV + 5, cost: 1 },
    ])
    expect(
      allocateCosts(ledger, 'sandbox:acct', NOV, DEC, { kind: 'price_list' }).map((s) => [
        s.tenantId,
        s.costMicros,
      ]),
    ).toEqual([
      ['a', 9_000],
      ['b', 2_000],
    ])
    expect(
      allocateCosts(ledger, 'sandbox:acct', NOV, DEC, { kind: 'price_list', prices: { image: 1_500 } }).map(
        (s) => s.costMicros,
      ),
    ).toEqual([9_000, 3_000])
    expect(() =>
      allocateCosts(ledger, 'sandbox:acct', NOV, DEC, { kind: 'price_list', prices: { image: 0.5 } }),
    ).toThrow(/micro/)
    db.close()
  })
})
