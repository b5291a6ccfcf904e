/** When to first poll a task of each type and how often after that, in real-time ms (divided by `speed`). */
import type { CaptchaType } from '@shared/captcha'

export interface TypeTiming {
  /** Earliest a solve is expected: the first poll. */
  firstPollMs: number
  /** Latest a solve is usually ready; between first and last the readiness rate is taken as uniform. */
  typicalMaxMs: number
  /** Default overall deadline for submit + wait. */
  deadlineMs: number
}

export const DEFAULT_TIMING: Record<CaptchaType, TypeTiming> = {
  image: { firstPollMs: 3_000, typicalMaxMs: 7_000, deadlineMs: 120_000 },
  recaptcha_v3: { firstPollMs: 4_000, typicalMaxMs: 6_000, deadlineMs: 120_000 },
  turnstile: { firstPollMs: 10_000, typicalMaxMs: 15_000, deadlineMs: 120_000 },
  geetest: { firstPollMs: 8_000, typicalMaxMs: 15_000, deadlineMs: 120_000 },
  recaptcha_v2: { firstPollMs: 15_000, typicalMaxMs: 40_000, deadlineMs: 300_000 },
}

export interface PollPolicy {
  /** Shortest gap between two polls of a key (real-time ms). */
  minIntervalMs: number
  /** Longest gap while tasks are due. */
  maxIntervalMs: number
  /** Aim for this many tasks turning ready between two batch polls (fewer requests at low volume). */
  targetReadyPerPoll: number
}

export const BATCH_POLL_POLICY: PollPolicy = {
  minIntervalMs: 500,
  maxIntervalMs: 3_000,
  targetReadyPerPoll: 6,
}
/** CaptchaAI asks for a poll about every 5 s per task and has no confirmed batch get. */
export const SINGLE_POLL_POLICY: PollPolicy = {
  minIntervalMs: 5_000,
  maxIntervalMs: 5_000,
  targetReadyPerPoll: 1,
}
