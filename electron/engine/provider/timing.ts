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
 * CaptchaAI (captchaai-protocol.md §4): image 5 s then every 5 s; reCAPTCHA v2 / GeeTest 15 s then 5 s (EX);
 * first polls of v3 (~5 s, LIVE) and Turnstile (10–15 s, DOC D4) at their observed earliest completion.
 */
const CAPTCHAAI_TIMING: TimingTable = {
  image: { firstPollMs: 5_000, pollIntervalMs: 5_000, typicalMaxMs: 10_000, deadlineMs: 120_000 },
  recaptcha_v3: { firstPollMs: 5_000, pollIntervalMs: 5_000, typicalMaxMs: 10_000, deadlineMs: 120_000 },
  turnstile: { firstPollMs: 10_000, pollIntervalMs: 5_000, typicalMaxMs: 15_000, deadlineMs: 120_000 },
  geetest: { firstPollMs: 15_000, pollIntervalMs: 5_000, typicalMaxMs: 20_000, deadlineMs: 120_000 },
  recaptcha_v2: { firstPollMs: 15_000, pollIntervalMs: 5_000, typicalMaxMs: 40_000, deadlineMs: 300_000 },
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
 * How a batch profile paces its one poll per key. Each poll costs ceil(tasks / 100) requests however many tasks it
 * carries, so the poller spaces polls to expect `targetReadyPerRequest` tasks turning ready per request: requests
 * per solve stay near 1 + 1 / targetReadyPerRequest while tasks finish densely, and polls come as often as
 * `minIntervalMs` allows (latency well under a second). When few tasks are left, polls thin out to the tasks'
 * pollIntervalMs.
 */
export interface PollPolicy {
  /** Shortest gap between two polls of a key (real-time ms). */
  minIntervalMs: number
  /** Longest gap while tasks are being polled (each task's own pollIntervalMs may shorten it). */
  maxIntervalMs: number
  /** Tasks expected to turn ready per upstream request between two polls. */
  targetReadyPerRequest: number
  /** Single-get profiles: how many res.php calls may be on the wire at once per key. */
  singleGetConcurrency: number
}

export const BATCH_POLL_POLICY: PollPolicy = {
  minIntervalMs: 500,
  maxIntervalMs: 5_000,
  targetReadyPerRequest: 8,
  singleGetConcurrency: 8,
}

/** CaptchaAI asks for a poll about every 5 s per task and has no confirmed batch get. */
export const SINGLE_POLL_POLICY: PollPolicy = {
  minIntervalMs: 5_000,
  maxIntervalMs: 5_000,
  targetReadyPerRequest: 1,
  singleGetConcurrency: 8,
}
