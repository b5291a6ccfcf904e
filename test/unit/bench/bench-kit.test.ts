import { describe, expect, it } from 'vitest'
import { createBenchContext, goalMet, goalText } from '../../bench/bench-kit'

describe('bench figures', () => {
  it('records {bench, metric, value, unit, goal, met} and judges the goal', () => {
    const ctx = createBenchContext('export', false)
    ctx.record('wall', 2.5, 's', { max: 3 })
    ctx.record('wall over', 3.5, 's', { max: 3 })
    ctx.record('served', 995, 'req/s', { min: 990 })
    ctx.record('baseline', 7, 's')
    expect(ctx.figures).toEqual([
      { bench: 'export', metric: 'wall', value: 2.5, unit: 's', goal: '<= 3', met: true },
      { bench: 'export', metric: 'wall over', value: 3.5, unit: 's', goal: '<= 3', met: false },
      { bench: 'export', metric: 'served', value: 995, unit: 'req/s', goal: '>= 990', met: true },
      { bench: 'export', metric: 'baseline', value: 7, unit: 's', goal: null, met: null },
    ])
  })

  it('strict goals exclude the bound; a non-finite figure never meets a goal', () => {
    expect(goalMet({ max: 1, strict: true }, 1)).toBe(false)
    expect(goalMet({ max: 1 }, 1)).toBe(true)
    expect(goalMet({ min: 0, strict: true }, 0)).toBe(false)
    expect(goalMet({ max: 5 }, Infinity)).toBe(false)
    expect(goalText({ max: 1, strict: true })).toBe('< 1')
    expect(goalText({ min: 990 })).toBe('>= 990')
  })

  it('refuses a figure that is not a number', () => {
    const ctx = createBenchContext('x', true)
    expect(() => ctx.record('broken', NaN, 'ms')).toThrow(/not a number/)
    expect(ctx.quick).toBe(true)
  })
})
