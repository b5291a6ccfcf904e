import { describe, expect, it } from 'vitest'
import { nextPollAt, readyChanceFor } from '../../../electron/engine/provider/single-poll-plan'
import { SolveTimeModel } from '../../../electron/engine/provider/solve-time-model'
import {
  ADVICE_BY_PROFILE,
  DEFAULT_POLL_POLICY,
  NO_ADVICE,
  TIMING_BY_PROFILE,
} from '../../../electron/engine/provider/timing'

const prior = () => ({ fromMs: 10_000, toMs: 20_000 })
const timing = TIMING_BY_PROFILE.captchaai.turnstile

/** Deterministic uniform draws in [a, b). */
function* uniform(a: number, b: number, n: number): Generator<number> {
  let x = 12345
  for (let i = 0; i < n; i++) {
    x = (x * 1_103_515_245 + 12_345) & 0x7fffffff
    yield a + ((b - a) * x) / 0x7fffffff
  }
}

describe('solve-time model', () => {
  it('starts from the prior', () => {
    const m = new SolveTimeModel(prior)
    expect(m.quantile('image', 0.5)).toBeGreaterThan(14_000)
    expect(m.quantile('image', 0.5)).toBeLessThan(16_000)
    expect(m.observed('image')).toBe(0)
  })

  it('learns where solves happen from exact times (pingbacks)', () => {
    const m = new SolveTimeModel(prior)
    for (const t of uniform(3_000, 7_000, 600)) m.observe('image', t, t)
    expect(m.quantile('image', 0.5)).toBeGreaterThan(4_500)
    expect(m.quantile('image', 0.5)).toBeLessThan(5_500)
    expect(m.quantile('image', 0.9)).toBeGreaterThan(6_200)
    expect(m.quantile('image', 0.9)).toBeLessThan(7_200)
    expect(m.cdf('image', 3_000)).toBeLessThan(0.05)
    expect(m.cdf('image', 7_500)).toBeGreaterThan(0.95)
    expect(m.observed('image')).toBe(600)
    expect(m.observed('turnstile')).toBe(0)
  })

  it('learns from polls that only bracket the moment, without drifting early on first-poll hits', () => {
    const m = new SolveTimeModel(prior)
    const brackets = (polls: number[], from: number, to: number, n: number): void => {
      for (const t of uniform(from, to, n)) {
        const hit = polls.find((p) => p >= t)!
        m.observe('geetest', polls.filter((p) => p < hit).at(-1) ?? 0, hit)
      }
    }
    // Tasks really ready uniformly in 8–12 s, polled at 6, 8, 9, 10, 11 and 12 s: each seen in its bracket.
    brackets([6_000, 8_000, 9_000, 10_000, 11_000, 12_000], 8_000, 12_000, 400)
    expect(m.quantile('geetest', 0.5)).toBeGreaterThan(9_400)
    expect(m.quantile('geetest', 0.5)).toBeLessThan(10_600)
    // Later tasks hit at a first poll at 9 s ("somewhere in 0–9 s"): their weight goes where solves are known to
    // happen (8–9 s), not back towards 0.
    brackets([9_000, 10_000, 11_000, 12_000], 8_000, 12_000, 400)
    expect(m.cdf('geetest', 7_000)).toBeLessThan(0.03)
    expect(m.quantile('geetest', 0.5)).toBeGreaterThan(9_400)
    expect(m.quantile('geetest', 0.5)).toBeLessThan(10_600)
  })

  it('tells how fast tasks of an age turn ready, counting the tasks still waiting as well as those answered', () => {
    const m = new SolveTimeModel(prior, 1e9) // a window so long that nothing is forgotten: exact figures
    expect(m.readyRate('geetest', 9_000, 10_000)).toBeUndefined()
    // 100 tasks submitted together, none ready at 9 s; at 10 s half of them are.
    for (let i = 0; i < 100; i++) m.observeWaiting('geetest', 0, 9_000)
    const cdfBefore = m.cdf('geetest', 10_000)
    for (let i = 0; i < 50; i++) m.observeWaiting('geetest', 9_000, 10_000)
    expect(m.cdf('geetest', 10_000)).toBe(cdfBefore) // waiting tasks change no cdf…
    expect(m.readyRate('geetest', 9_000, 10_000)).toBeUndefined() // …and no answers, no rate
    for (let i = 0; i < 50; i++) {
      m.observe('geetest', 9_000, 10_000)
      m.observeWaiting('geetest', 9_000, 10_000, 0.5)
    }
    // 50 answers over 50 × 1 s of tasks still waiting plus 50 × 0.5 s (the answered ones, for half the second).
    expect(m.readyRate('geetest', 9_000, 10_000)).toBeCloseTo(50 / 75_000, 8)
    // Before 9 s tasks waited and none turned ready: too few answers there to tell a rate.
    expect(m.readyRate('geetest', 7_000, 9_000)).toBeUndefined()
    expect(m.readyRate('image', 9_000, 10_000)).toBeUndefined()
  })

  it('forgets slowly: a provider that got slower moves the model', () => {
    const m = new SolveTimeModel(prior, 100)
    for (const t of uniform(3_000, 5_000, 300)) m.observe('image', t, t)
    for (const t of uniform(20_000, 22_000, 300)) m.observe('image', t, t)
    expect(m.quantile('image', 0.5)).toBeGreaterThan(19_000)
  })
})

describe('next poll of a task without batches', () => {
  const learned = (): SolveTimeModel => {
    const m = new SolveTimeModel(prior)
    for (const t of uniform(10_000, 20_000, 1_000)) m.observe('turnstile', t, t)
    return m
  }
  const plan = (
    m: SolveTimeModel,
    polls: number,
    lastNotReadyMs: number,
    advice = ADVICE_BY_PROFILE.captchaai,
    inFlight = 10,
  ) =>
    nextPollAt(
      { type: 'turnstile', polls, lastNotReadyMs, deadlineMs: 120_000, pingback: false, inFlight },
      m,
      DEFAULT_POLL_POLICY,
      advice,
      timing,
    )

  it('polls where the chance of being ready since the last poll reaches readyChancePerPoll', () => {
    const m = learned()
    const first = plan(m, 0, 0)
    expect(m.cdf('turnstile', first)).toBeCloseTo(DEFAULT_POLL_POLICY.readyChancePerPoll, 1)
    const second = plan(m, 1, first)
    const chance = (m.cdf('turnstile', second) - m.cdf('turnstile', first)) / (1 - m.cdf('turnstile', first))
    expect(chance).toBeCloseTo(DEFAULT_POLL_POLICY.readyChancePerPoll, 1)
    expect(second - first).toBeGreaterThanOrEqual(DEFAULT_POLL_POLICY.minGapMs)
    expect(second - first).toBeLessThanOrEqual(timing.pollIntervalMs)
  })

  it('with many tasks in flight each poll must be likelier to find its task ready (fewer requests per solve)', () => {
    const m = learned()
    expect(readyChanceFor(DEFAULT_POLL_POLICY, 10)).toBe(DEFAULT_POLL_POLICY.readyChancePerPoll)
    expect(readyChanceFor(DEFAULT_POLL_POLICY, 5_000)).toBe(DEFAULT_POLL_POLICY.readyChanceAtScale)
    const mid = readyChanceFor(DEFAULT_POLL_POLICY, 316)
    expect(mid).toBeGreaterThan(DEFAULT_POLL_POLICY.readyChancePerPoll)
    expect(mid).toBeLessThan(DEFAULT_POLL_POLICY.readyChanceAtScale)
    const at = (inFlight: number) =>
      nextPollAt(
        { type: 'turnstile', polls: 0, lastNotReadyMs: 0, deadlineMs: 120_000, pingback: false, inFlight },
        m,
        DEFAULT_POLL_POLICY,
        ADVICE_BY_PROFILE.captchaai,
        timing,
      )
    expect(at(2_000)).toBeGreaterThan(at(10))
    expect(m.cdf('turnstile', at(2_000))).toBeCloseTo(DEFAULT_POLL_POLICY.readyChanceAtScale, 1)
  })

  it('past nearly every solve seen, polls spread out but keep the poll interval at least', () => {
    const m = learned()
    const late = plan(m, 5, 30_000)
    expect(late - 30_000).toBeGreaterThanOrEqual(timing.pollIntervalMs)
  })

  it('past every solve seen, the interval while the task is young, then gaps growing with its age up to the deadline', () => {
    // A model that has so far seen only quick tasks (the first answers of a burst) and a task that never turns ready.
    const m = new SolveTimeModel(prior)
    for (const t of uniform(10_000, 12_000, 200)) m.observe('turnstile', t, t)
    const at: number[] = []
    for (let polls = 0, last = 0; ; polls++) {
      const next = plan(m, polls, last)
      if (next === Infinity) break
      at.push(next)
      last = next
    }
    expect(at.length).toBeLessThanOrEqual(ADVICE_BY_PROFILE.captchaai.maxPollsPerTask)
    // The polls reach the deadline: the last that can go (at the deadline the task times out) is a gap before it…
    const made = at.filter((t) => t < 120_000)
    expect(made.at(-1)).toBe(120_000 - DEFAULT_POLL_POLICY.minGapMs)
    const tail = made.findIndex((t) => t > 12_500)
    for (let i = tail; i < made.length - 2; i++) {
      const gap = made[i + 1]! - made[i]!
      expect(gap).toBeGreaterThanOrEqual(timing.pollIntervalMs)
      // …without leaving a young task unasked for long: the interval until 25 s, then a share of its age.
      expect(gap).toBeLessThanOrEqual(Math.max(timing.pollIntervalMs, 0.3 * made[i]!) + 1)
    }
    expect(made[tail + 1]! - made[tail]!).toBe(timing.pollIntervalMs)
  })

  it('never polls a task more often than a share of its age, however sure a model built on the last answers looks', () => {
    // Answers that all came in just after 40 s (a burst: every task is as old as the others).
    const m = new SolveTimeModel(prior)
    for (let i = 0; i < 500; i++) m.observe('turnstile', 40_000, 40_250)
    expect(plan(m, 3, 40_000)).toBeGreaterThanOrEqual(42_000)
  })

  it('polls a task sooner where the tasks of its age are being answered (a burst), not only when the model says', () => {
    // 200 tasks submitted together, polled at 9 s (none ready), 10 s (60 ready) and 11 s (50 more ready).
    const burst = (waiting: boolean): SolveTimeModel => {
      const m = new SolveTimeModel(prior, 1e9) // nothing forgotten: exact figures
      const wait = (from: number, to: number, n: number): void => {
        for (let i = 0; i < n && waiting; i++) m.observeWaiting('turnstile', from, to)
      }
      const answer = (from: number, to: number, n: number): void => {
        for (let i = 0; i < n; i++) {
          m.observe('turnstile', from, to)
          if (waiting) m.observeWaiting('turnstile', from, to, 0.5)
        }
      }
      wait(0, 9_000, 200)
      answer(9_000, 10_000, 60)
      wait(9_000, 10_000, 140)
      answer(10_000, 11_000, 50)
      wait(10_000, 11_000, 90)
      return m
    }
    const m = burst(true)
    // The model of answers alone has seen only these quick ones: it thinks nearly every task is done by 11 s and
    // puts the next poll of one still waiting most of a poll interval away.
    expect(m.cdf('turnstile', 11_000)).toBeGreaterThan(0.9)
    const withoutRate = plan(burst(false), 3, 11_000, ADVICE_BY_PROFILE.captchaai, 200)
    expect(withoutRate).toBeGreaterThan(14_000)
    // Yet 90 of 200 still wait: in 8.8–11 s (from its 250 ms bin, 8.75 s), 110 answers came over 335 task-seconds
    // of waiting. At that rate the chance of being ready reaches the policy's after about 1.6 s.
    const rate = m.readyRate('turnstile', 8_800, 11_000)!
    expect(rate).toBeCloseTo(110 / 335_000, 8)
    const at = plan(m, 3, 11_000, ADVICE_BY_PROFILE.captchaai, 200)
    const chance = readyChanceFor(DEFAULT_POLL_POLICY, 200)
    expect(at).toBeCloseTo(11_000 - Math.log(1 - chance) / rate, 0)
    expect(at).toBeLessThan(13_000)
    // A task far past the cohort (no answers near its age) keeps the plan for late tasks: gaps of the poll interval
    // and more, as without the rate.
    const late = (model: SolveTimeModel) => plan(model, 8, 40_000, ADVICE_BY_PROFILE.captchaai, 200)
    expect(late(m)).toBe(late(burst(false)))
    expect(late(m) - 40_000).toBeGreaterThanOrEqual(timing.pollIntervalMs)
    // Never sooner than the shortest gap, however fast the cohort is answered.
    const fast = burst(true)
    for (let i = 0; i < 500; i++) {
      fast.observe('turnstile', 10_900, 11_000)
      fast.observeWaiting('turnstile', 10_900, 11_000, 0.5)
    }
    expect(plan(fast, 3, 11_000, ADVICE_BY_PROFILE.captchaai, 200)).toBe(
      11_000 + DEFAULT_POLL_POLICY.minGapMs,
    )
  })

  it('follows the published advice: first poll ≥ 5 s (10 s for reCAPTCHA), at most 20 polls per task', () => {
    const m = new SolveTimeModel(() => ({ fromMs: 1_000, toMs: 2_000 }))
    expect(plan(m, 0, 0)).toBe(5_000)
    const v2 = nextPollAt(
      {
        type: 'recaptcha_v2',
        polls: 0,
        lastNotReadyMs: 0,
        deadlineMs: 300_000,
        pingback: false,
        inFlight: 10,
      },
      m,
      DEFAULT_POLL_POLICY,
      ADVICE_BY_PROFILE['2captcha'],
      TIMING_BY_PROFILE['2captcha'].recaptcha_v2,
    )
    expect(v2).toBeGreaterThanOrEqual(10_000)
    expect(plan(m, 20, 60_000)).toBe(Infinity)
    // The operator may override the advice.
    expect(plan(m, 0, 0, NO_ADVICE)).toBeLessThan(5_000)
    expect(plan(m, 20, 60_000, NO_ADVICE)).toBeLessThan(Infinity)
  })

  it('with a pingback, the first poll is a late fallback', () => {
    const m = learned()
    const at = nextPollAt(
      { type: 'turnstile', polls: 0, lastNotReadyMs: 0, deadlineMs: 120_000, pingback: true, inFlight: 10 },
      m,
      DEFAULT_POLL_POLICY,
      ADVICE_BY_PROFILE.captchaai,
      timing,
    )
    expect(at).toBeGreaterThan(1.4 * m.quantile('turnstile', 0.97))
  })
})
