/**
 * When to first poll a task of each type and how often after that, per provider profile, in real-time ms
 * (the client divides them by its `speed`, the Sandbox's speed factor).
 */
import type { CaptchaType } from '@shared/captcha'
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

/** The Sandbox's own solve-time ranges (electron/engine/sandbox DEFAULT_SOLVE_TIMES); batches let us poll often. */
const SANDBOX_TIMING: TimingTable = {
  image: { firstPollMs: 3_000, pollIntervalMs: 3_000, typicalMaxMs: 7_000, deadlineMs: 120_000 },
  recaptcha_v3: { firstPollMs: 4_000, pollIntervalMs: 3_000, typicalMaxMs: 6_000, deadlineMs: 120_000 },
  turnstile: { firstPollMs: 10_000, pollIntervalMs: 3_000, typicalMaxMs: 15_000, deadlineMs: 120_000 },
  geetest: { firstPollMs: 8_000, pollIntervalMs: 3_000, typicalMaxMs: 15_000, deadlineMs: 120_000 },
  recaptcha_v2: { firstPollMs: 15_000, pollIntervalMs: 3_000, typicalMaxMs: 40_000, deadlineMs: 300_000 },
  geetest_v4: { firstPollMs: 8_000, pollIntervalMs: 3_000, typicalMaxMs: 15_000, deadlineMs: 120_000 },
  cloudflare_challenge: {
    firstPollMs: 15_000,
    pollIntervalMs: 3_000,
    typicalMaxMs: 30_000,
    deadlineMs: 180_000,
  },
  bls: { firstPollMs: 5_000, pollIntervalMs: 3_000, typicalMaxMs: 12_000, deadlineMs: 120_000 },
}

/**
 * CaptchaAI (captchaai-protocol.md §4): poll about every 5 s. firstPollMs–typicalMaxMs is where solves are expected
 * (the prior of the learned model, and the batch cadence's window): image a few seconds; reCAPTCHA v3 about 5 s
 * (LIVE); Turnstile 10–15 s (DOC D4); GeeTest 8–20 s; reCAPTCHA v2 up to ~40 s (LIVE ≈ 37 s end to end).
 */
const CAPTCHAAI_TIMING: TimingTable = {
  image: { firstPollMs: 3_000, pollIntervalMs: 5_000, typicalMaxMs: 10_000, deadlineMs: 120_000 },
  recaptcha_v3: { firstPollMs: 4_000, pollIntervalMs: 5_000, typicalMaxMs: 10_000, deadlineMs: 120_000 },
  turnstile: { firstPollMs: 10_000, pollIntervalMs: 5_000, typicalMaxMs: 15_000, deadlineMs: 120_000 },
  geetest: { firstPollMs: 8_000, pollIntervalMs: 5_000, typicalMaxMs: 20_000, deadlineMs: 120_000 },
  recaptcha_v2: { firstPollMs: 15_000, pollIntervalMs: 5_000, typicalMaxMs: 45_000, deadlineMs: 300_000 },
  geetest_v4: { firstPollMs: 15_000, pollIntervalMs: 5_000, typicalMaxMs: 20_000, deadlineMs: 120_000 },
  cloudflare_challenge: {
    firstPollMs: 20_000,
    pollIntervalMs: 5_000,
    typicalMaxMs: 40_000,
    deadlineMs: 180_000,
  },
  bls: { firstPollMs: 15_000, pollIntervalMs: 5_000, typicalMaxMs: 20_000, deadlineMs: 120_000 },
}

/** 2captcha v1: 20 s before the first reCAPTCHA poll, 5 s for others; 5 s between polls. */
const TWOCAPTCHA_TIMING: TimingTable = {
  image: { firstPollMs: 5_000, pollIntervalMs: 5_000, typicalMaxMs: 15_000, deadlineMs: 120_000 },
  recaptcha_v3: { firstPollMs: 5_000, pollIntervalMs: 5_000, typicalMaxMs: 20_000, deadlineMs: 120_000 },
  turnstile: { firstPollMs: 5_000, pollIntervalMs: 5_000, typicalMaxMs: 20_000, deadlineMs: 120_000 },
  geetest: { firstPollMs: 5_000, pollIntervalMs: 5_000, typicalMaxMs: 20_000, deadlineMs: 120_000 },
  recaptcha_v2: { firstPollMs: 20_000, pollIntervalMs: 5_000, typicalMaxMs: 60_000, deadlineMs: 300_000 },
  geetest_v4: { firstPollMs: 5_000, pollIntervalMs: 5_000, typicalMaxMs: 20_000, deadlineMs: 120_000 },
  cloudflare_challenge: {
    firstPollMs: 20_000,
    pollIntervalMs: 5_000,
    typicalMaxMs: 60_000,
    deadlineMs: 180_000,
  },
  bls: { firstPollMs: 5_000, pollIntervalMs: 5_000, typicalMaxMs: 15_000, deadlineMs: 120_000 },
}

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
  readyChancePerPoll: 0.4,
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

const PUBLISHED_ADVICE: PollAdvice = {
  firstPollMinMs: {
    image: 5_000,
    turnstile: 5_000,
    geetest: 5_000,
    geetest_v4: 5_000,
    cloudflare_challenge: 5_000,
    bls: 5_000,
    recaptcha_v2: 10_000,
    recaptcha_v3: 10_000,
  },
  maxPollsPerTask: 20,
}

export const NO_ADVICE: PollAdvice = {
  firstPollMinMs: {
    image: 0,
    turnstile: 0,
    geetest: 0,
    geetest_v4: 0,
    cloudflare_challenge: 0,
    bls: 0,
    recaptcha_v2: 0,
    recaptcha_v3: 0,
  },
  maxPollsPerTask: Infinity,
}

export const ADVICE_BY_PROFILE: Record<ProviderId, PollAdvice> = {
  sandbox: NO_ADVICE,
  captchaai: PUBLISHED_ADVICE,
  '2captcha': PUBLISHED_ADVICE,
  custom: PUBLISHED_ADVICE,
}
