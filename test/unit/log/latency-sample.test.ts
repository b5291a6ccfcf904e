import { describe, expect, it } from 'vitest'
import { LatencySample } from '../../../electron/engine/log/latency-sample'

describe('LatencySample', () => {
  it('gives quantiles of the recent values, the max of all, and stays bounded', () => {
    const s = new LatencySample()
    expect(s.summary()).toEqual({ n: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 })
    for (let i = 1; i <= 100; i++) s.add(i)
    expect(s.summary()).toEqual({ n: 100, p50Ms: 51, p99Ms: 100, maxMs: 100 })
    s.add(5_000) // an old spike…
    for (let i = 0; i < 20_000; i++) s.add(1)
    // …is out of the recent window, but still the maximum seen; every value is counted.
    expect(s.summary()).toEqual({ n: 20_101, p50Ms: 1, p99Ms: 1, maxMs: 5_000 })
  })
})
