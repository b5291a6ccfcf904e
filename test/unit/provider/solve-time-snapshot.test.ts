/**
 * The learned solve-time model outlives a restart: a snapshot taken back by a fresh model answers as the old one did,
 * and a snapshot that is not one (it comes from storage) changes nothing and says why.
 */
import { describe, expect, it } from 'vitest'
import { PROVIDER_PRESETS } from '@shared/provider'
import { createProviderClient } from '../../../electron/engine/provider'
import { SolveTimeModel } from '../../../electron/engine/provider/solve-time-model'

const prior = () => ({ fromMs: 5_000, toMs: 20_000 })

/** A model that has seen Turnstile answers at 1–3 s (some exact, some between polls) and GeeTest at about 8 s. */
function learned(): SolveTimeModel {
  const m = new SolveTimeModel(prior)
  for (let i = 0; i < 200; i++) {
    const at = 1_000 + ((i * 37) % 2_000)
    if (i % 3 === 0) m.observe('turnstile', at, at)
    else m.observe('turnstile', at - 500, at)
    m.observeWaiting('turnstile', 0, at - 500)
    m.observeWaiting('turnstile', at - 500, at, 0.5)
  }
  for (let i = 0; i < 40; i++) m.observe('geetest', 7_500 + i * 25, 8_000 + i * 25)
  return m
}

/** A snapshot's weights (base64 float32) multiplied by `k`. */
function scaled(weights: string, k: number): string {
  const b = Buffer.from(weights, 'base64')
  for (let i = 0; i < b.length; i += 4) b.writeFloatLE(b.readFloatLE(i) * k, i)
  return b.toString('base64')
}

/** Through JSON and back, as the engine stores it. */
const stored = (s: unknown): unknown => JSON.parse(JSON.stringify(s))

describe('solve-time snapshots', () => {
  it('a fresh model restored from a snapshot answers as the model that learned it', () => {
    const old = learned()
    const fresh = new SolveTimeModel(prior)
    expect(fresh.restore(stored(old.snapshot()))).toEqual({ ok: true, types: 2, skipped: [] })
    for (const type of ['turnstile', 'geetest'] as const) {
      expect(fresh.observed(type)).toBe(old.observed(type))
      for (const t of [500, 1_000, 1_500, 2_500, 4_000, 8_000, 12_000, 30_000])
        expect(Math.abs(fresh.cdf(type, t) - old.cdf(type, t))).toBeLessThan(1e-3)
      for (const p of [0.1, 0.5, 0.9])
        expect(Math.abs(fresh.quantile(type, p) - old.quantile(type, p))).toBeLessThan(50)
    }
    const rate = old.readyRate('turnstile', 1_000, 2_000)!
    expect(rate).toBeGreaterThan(0)
    expect(fresh.readyRate('turnstile', 1_000, 2_000)! / rate).toBeCloseTo(1, 5)
    // Learned, not the timing table: half of Turnstile is ready by about 2 s, where the prior says 12.5 s.
    expect(fresh.quantile('turnstile', 0.5)).toBeLessThan(2_500)
    expect(new SolveTimeModel(prior).quantile('turnstile', 0.5)).toBeGreaterThan(10_000)
  })

  it('restored weights count as much as the old model’s: the same new answers move both alike', () => {
    const old = learned()
    const fresh = new SolveTimeModel(prior)
    fresh.restore(stored(old.snapshot()))
    for (const m of [old, fresh]) for (let i = 0; i < 150; i++) m.observe('turnstile', 6_000, 7_000)
    for (const t of [1_500, 3_000, 6_500, 7_500])
      expect(fresh.cdf('turnstile', t)).toBeCloseTo(old.cdf('turnstile', t), 4)
    // The ready rate needs 3 recent answers: as many count after a restore as before it.
    for (const [from, to] of [
      [1_000, 1_250],
      [2_500, 3_000],
    ] as const)
      expect(fresh.readyRate('turnstile', from, to) === undefined).toBe(
        old.readyRate('turnstile', from, to) === undefined,
      )
  })

  it('a restore counts as learning for callers that cache what they derive from the model', () => {
    const fresh = new SolveTimeModel(prior)
    const before = fresh.version
    fresh.restore(stored(learned().snapshot()))
    expect(fresh.version).toBeGreaterThan(before)
  })

  it('types this build does not know (a snapshot from a newer one) are skipped and named; the rest is restored', () => {
    const good = learned().snapshot()
    const fresh = new SolveTimeModel(prior)
    expect(
      fresh.restore(stored({ ...good, types: { ...good.types, futurecaptcha: good.types.turnstile } })),
    ).toEqual({
      ok: true,
      types: 2,
      skipped: ['futurecaptcha'],
    })
    expect(fresh.observed('turnstile')).toBe(200)
  })

  it('types the snapshot does not hold keep the prior; an empty snapshot restores nothing', () => {
    const fresh = new SolveTimeModel(prior)
    expect(fresh.restore(stored(new SolveTimeModel(prior).snapshot()))).toEqual({
      ok: true,
      types: 0,
      skipped: [],
    })
    expect(fresh.restore(stored(learned().snapshot()))).toEqual({ ok: true, types: 2, skipped: [] })
    expect(fresh.observed('image')).toBe(0)
    expect(fresh.quantile('image', 0.5)).toBeCloseTo(new SolveTimeModel(prior).quantile('image', 0.5), 5)
  })

  it('after a restore the model goes on learning, and forgets the old answers at its usual pace', () => {
    const fresh = new SolveTimeModel(prior)
    fresh.restore(stored(learned().snapshot()))
    for (let i = 0; i < 2_000; i++) fresh.observe('turnstile', 9_000, 10_000)
    expect(fresh.observed('turnstile')).toBe(2_200)
    expect(fresh.quantile('turnstile', 0.5)).toBeGreaterThan(9_000)
  })

  it('anything that is not a snapshot of this format is refused with the reason, and changes nothing', () => {
    const good = learned().snapshot()
    const t = good.types.turnstile!
    const nan = Buffer.from(t.belief, 'base64')
    nan.writeFloatLE(Number.NaN, 40)
    const negative = Buffer.from(t.seen, 'base64')
    negative.writeFloatLE(-1, 0)
    const cases: Array<[unknown, RegExp]> = [
      [null, /not an object/],
      ['{"format":1}', /not an object/],
      [{ ...good, format: 2 }, /another format/],
      [{ ...good, bins: 1_200 }, /another format/],
      [{ ...good, types: null }, /no types/],
      [{ ...good, types: { turnstile: { ...t, observed: -1 } } }, /observed/],
      [{ ...good, types: { turnstile: { ...t, observed: 1.5 } } }, /observed/],
      [{ ...good, types: { turnstile: { ...t, belief: t.belief.slice(8) } } }, /weights/],
      [{ ...good, types: { turnstile: { ...t, belief: nan.toString('base64') } } }, /weights/],
      [{ ...good, types: { turnstile: { ...t, seen: negative.toString('base64') } } }, /weights/],
      [{ ...good, types: { turnstile: { ...t, waiting: 42 } } }, /weights/],
      [{ ...good, types: { turnstile: null } }, /observed/],
      // Finite but more answers than a model of this window can hold: one answer would no longer move it.
      [{ ...good, types: { turnstile: { ...t, seen: scaled(t.seen, 1e6) } } }, /larger than/],
      [{ ...good, types: { turnstile: { ...t, belief: scaled(t.belief, 1e6) } } }, /larger than/],
    ]
    for (const [input, reason] of cases) {
      const fresh = new SolveTimeModel(prior)
      const r = fresh.restore(input)
      expect(r.ok).toBe(false)
      expect(r.ok ? '' : r.reason).toMatch(reason)
      // A refused snapshot restores no type, not even the ones that were fine.
      expect(fresh.observed('geetest')).toBe(0)
      expect(fresh.quantile('turnstile', 0.5)).toBeCloseTo(
        new SolveTimeModel(prior).quantile('turnstile', 0.5),
        5,
      )
    }
  })

  it('the provider client starts from the solve times it is given, and logs and ignores what does not fit', () => {
    const profile = { ...PROVIDER_PRESETS.captchaai, baseUrl: 'http://127.0.0.1:9' }
    const warnings: Array<Record<string, unknown> | undefined> = []
    const logger = { warn: (_m: string, d?: Record<string, unknown>) => void warnings.push(d) }
    const restored = createProviderClient({ profile, logger, solveTimes: stored(learned().snapshot()) })
    expect(restored.solveTimes().types.turnstile?.observed).toBe(200)
    expect(warnings).toEqual([])
    const afresh = createProviderClient({ profile, logger, solveTimes: { format: 1, types: 'x' } })
    expect(afresh.solveTimes().types).toEqual({})
    expect(warnings).toEqual([{ reason: 'another format (format, binMs or bins differ)' }])
    void restored.close()
    void afresh.close()
  })
})

describe('a long-learned model', () => {
  it('comes back whole even where its oldest weights had faded below what a snapshot stores', () => {
    const old = new SolveTimeModel(prior)
    for (let i = 0; i < 40_000; i++) old.observe('turnstile', 1_500, 2_000)
    const fresh = new SolveTimeModel(prior)
    expect(fresh.restore(stored(old.snapshot()))).toEqual({ ok: true, types: 1, skipped: [] })
    expect(fresh.quantile('turnstile', 0.5)).toBeCloseTo(old.quantile('turnstile', 0.5), 0)
    // Every interval still has some belief: an answer far from the rest is learned, not lost.
    expect(fresh.cdf('turnstile', 300_000)).toBeLessThan(1)
    fresh.observe('turnstile', 290_000, 300_000)
    expect(fresh.cdf('turnstile', 290_000)).toBeLessThan(fresh.cdf('turnstile', 300_000))
    expect(Number.isFinite(fresh.quantile('turnstile', 0.999))).toBe(true)
  })
})
