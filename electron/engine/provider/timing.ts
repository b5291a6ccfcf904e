/**
 * When to first poll a task of each type and how often after that, per provider profile, in real-time ms
 * (the client divides them by its `speed`, the Sandbox's speed factor).
 */
import { CAPTCHA_TYPES, type CaptchaType } from '@shared/captcha'
import type { ProviderId } from '@shared/provider'

export interface TypeTiming {
  /** Earliest a solve is expected: the task's first poll. */
  firstPollMs: number
  /**
   * Longest gap between two polls of a task once it is being polled. Single-get profiles poll every task at
   * exactly this interval; batch profiles poll more often while many tasks are turning ready (see PollPolicy).
   */
  pollIntervalMs: number
  /** Latest a solve is usually ready; between firstPollMs and this, readiness is taken as uniform. */
  typicalMaxMs: number
  /** Default overall deadline for submit + wait. */
  deadlineMs: number
}

export type TimingTable = Record<CaptchaType, TypeTiming>

/** A profile's table: one poll interval for every type, and per type [firstPollMs, typicalMaxMs, deadlineMs]. */
function timingTable(
  pollIntervalMs: number,
  byType: Record<CaptchaType, readonly [firstPollMs: number, typicalMaxMs: number, deadlineMs: number]>,
): TimingTable {
  const table = {} as TimingTable
  for (const [type, [firstPollMs, typicalMaxMs, deadlineMs]] of Object.entries(byType))
    table[type as CaptchaType] = { firstPollMs, pollIntervalMs, typicalMaxMs, deadlineMs }
  return table
}

/** The Sandbox's own solve-time ranges (electron/engine/sandbox DEFAULT_SOLVE_TIMES); batches let us poll often. */
const SANDBOX_TIMING = timingTable(3_000, {
  image: [3_000, 7_000, 120_000],
  recaptcha_v3: [4_000, 6_000, 120_000],
  turnstile: [10_000, 15_000, 120_000],
  geetest: [8_000, 15_000, 120_000],
  recaptcha_v2: [15_000, 40_000, 300_000],
  geetest_v4: [8_000, 15_000, 120_000],
  cloudflare_challenge: [15_000, 30_000, 180_000],
  bls: [5_000, 12_000, 120_000],
})

/**
 * CaptchaAI (captchaai-protocol.md §4): poll about every 5 s. firstPollMs–typicalMaxMs is where solves are expected
 * (the prior of the learned model, and the batch cadence's window): image a few seconds; reCAPTCHA v3 about 5 s
 * (LIVE); Turnstile 10–15 s (DOC D4); GeeTest 8–20 s; reCAPTCHA v2 up to ~40 s (LIVE ≈ 37 s end to end).
 */
const CAPTCHAAI_TIMING = timingTable(5_000, {
  image: [3_000, 10_000, 120_000],
  recaptcha_v3: [4_000, 10_000, 120_000],
  turnstile: [10_000, 15_000, 120_000],
  geetest: [8_000, 20_000, 120_000],
  recaptcha_v2: [15_000, 45_000, 300_000],
  geetest_v4: [15_000, 20_000, 120_000],
  cloudflare_challenge: [20_000, 40_000, 180_000],
  bls: [15_000, 20_000, 120_000],
})

/** 2captcha v1: 20 s before the first reCAPTCHA poll, 5 s for others; 5 s between polls. */
const TWOCAPTCHA_TIMING = timingTable(5_000, {
  image: [5_000, 15_000, 120_000],
  recaptcha_v3: [5_000, 20_000, 120_000],
  turnstile: [5_000, 20_000, 120_000],
  geetest: [5_000, 20_000, 120_000],
  recaptcha_v2: [20_000, 60_000, 300_000],
  geetest_v4: [5_000, 20_000, 120_000],
  cloudflare_challenge: [20_000, 60_000, 180_000],
  bls: [5_000, 15_000, 120_000],
})

export const TIMING_BY_PROFILE: Record<ProviderId, TimingTable> = {
  sandbox: SANDBOX_TIMING,
  captchaai: CAPTCHAAI_TIMING,
  '2captcha': TWOCAPTCHA_TIMING,
  custom: CAPTCHAAI_TIMING,
}

/**
 * How polls are paced, per key.
 *
 * Batch profiles keep one cadence per key: each poll costs ceil(tasks / 100) requests however many tasks it carries,
 * so polls are spaced to expect `targetReadyPerRequest` tasks turning ready per request (requests per solve near
 * 1 + 1 / targetReadyPerRequest while tasks finish densely, latency as low as `minIntervalMs` allows).
 *
 * Single-get profiles poll each task when the learned solve-time model (solve-time-model.ts) says it is likely to be
 * ready: each poll of a task is placed where the chance that it turned ready since its last poll reaches
 * `readyChancePerPoll`. The key's request budget grows with the tasks it has in flight (no fixed global rate).
 */
export interface PollPolicy {
  /** Batch: shortest gap between two polls of a key (real-time ms). */
  minIntervalMs: number
  /** Batch: longest gap while tasks are being polled (each task's own pollIntervalMs may shorten it). */
  maxIntervalMs: number
  /** Batch: tasks expected to turn ready per upstream request between two polls. */
  targetReadyPerRequest: number
  /** Single: the chance that a task has turned ready since its last poll, at which it is polled again. */
  readyChancePerPoll: number
  /**
   * Single: the same chance with 1,000 or more tasks in flight on a key (log scale from 100). Many tasks in flight make
   * requests the scarcer resource (each one is a request to the same key's budget), a few make waiting the dearer.
   */
  readyChanceAtScale: number
  /** Single: shortest gap between two polls of one task (real-time ms). */
  minGapMs: number
  /** Single: res.php calls on the wire at once per key, at least (grows with the tasks in flight). */
  singleGetConcurrency: number
  /** Single: one more call on the wire for every this many tasks in flight. */
  tasksPerConnection: number
  /** Single: request budget per key: polls per minute per task in flight (real time), bursts up to one per task. */
  pollsPerTaskPerMinute: number
}

export const DEFAULT_POLL_POLICY: PollPolicy = {
  minIntervalMs: 500,
  maxIntervalMs: 5_000,
  targetReadyPerRequest: 8,
  readyChancePerPoll: 0.35,
  // Measured at 1,000 in flight (provider bench, medians of three, two runs each; seed loop ≈ 3.1 requests per solve):
  // 0.45 / 0.5 / 0.55 gave burst 2.97 / 2.93 / 2.83 requests per solve and 1.39 / 1.58 / 1.69 s median delay;
  // sustained 2.87 / 2.79 / 2.65 and 1.42 / 1.49 / 1.71 s. Three more full runs at 0.5 gave burst 3.06 / 2.89 / 3.12
  // requests per solve against the seed's 3.11 / 3.10 / 3.11: too close. 0.55 keeps a margin on both of its figures.
  readyChanceAtScale: 0.55,
  minGapMs: 1_000,
  singleGetConcurrency: 8,
  tasksPerConnection: 8,
  pollsPerTaskPerMinute: 30,
}

/**
 * Providers' published polling advice (client-apis.md §3): 2captcha asks for the first poll no sooner than 5 s after
 * submit (10–20 s for reCAPTCHA) and blocks accounts that poll more than 20 times per task. CaptchaAI copies the
 * protocol and documents nothing stricter, so the same rules apply to it and to custom upstreams. The Sandbox is
 * ours. The operator may choose to ignore the advice (Settings), at their own risk.
 */
export interface PollAdvice {
  /** No poll of a task before this long after submit (real-time ms). */
  firstPollMinMs: Record<CaptchaType, number>
  /** At most this many res.php gets per task (a batch counts once for every task in it). */
  maxPollsPerTask: number
}

/** The same first-poll minimum for every type. */
const everyType = (ms: number): Record<CaptchaType, number> =>
  Object.fromEntries(CAPTCHA_TYPES.map((t) => [t, ms])) as Record<CaptchaType, number>

const PUBLISHED_ADVICE: PollAdvice = {
  firstPollMinMs: { ...everyType(5_000), recaptcha_v2: 10_000, recaptcha_v3: 10_000 },
  maxPollsPerTask: 20,
}

export const NO_ADVICE: PollAdvice = { firstPollMinMs: everyType(0), maxPollsPerTask: Infinity }

export const ADVICE_BY_PROFILE: Record<ProviderId, PollAdvice> = {
  sandbox: NO_ADVICE,
  captchaai: PUBLISHED_ADVICE,
  '2captcha': PUBLISHED_ADVICE,
  custom: PUBLISHED_ADVICE,
}
