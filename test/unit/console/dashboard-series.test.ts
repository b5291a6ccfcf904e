import { describe, expect, it } from 'vitest'
import { chartRange, seriesByDay } from '../../../renderer/src/stores/day-series'

const row = (period: string, solves: number) => ({
  period,
  tenantId: 't',
  solves,
  failures: 0,
  failuresByCode: {},
  rejections: 0,
  rejectionsByCode: {},
  threadMs: 0,
  costMicros: 2_000 * solves,
  priceMicros: 3_000 * solves,
  marginMicros: 1_000 * solves,
})

describe('dashboard chart days', () => {
  it('asks up to tomorrow: a tenant east of the operator is already on the next date', () => {
    expect(chartRange(new Date(2026, 10, 29, 23, 30), 14)).toEqual({ from: '2026-11-16', to: '2026-11-30' })
  })

  it('ends on the operator’s today, or on a tenant’s later date that has solves; sums tenants per day', () => {
    const now = new Date(2026, 10, 29, 23, 30)
    const quiet = seriesByDay([row('2026-11-29', 2), row('2026-11-30', 0)], now, 14)
    expect(quiet).toHaveLength(14)
    expect(quiet.at(-1)).toMatchObject({ day: '2026-11-29', solves: 2, priceMicros: 6_000 })
    const ahead = seriesByDay([row('2026-11-29', 2), row('2026-11-30', 1), row('2026-11-30', 4)], now, 14)
    expect(ahead[0]!.day).toBe('2026-11-17')
    expect(ahead.at(-1)).toMatchObject({ day: '2026-11-30', solves: 5, costMicros: 10_000 })
    expect(ahead.at(-2)).toMatchObject({ day: '2026-11-29', solves: 2 })
  })
})
