/**
 * When to ask about one task next, for upstreams without batched gets: where the learned chance that the task has
 * turned ready since its last "not ready" reaches the policy's `readyChancePerPoll` — dense where tasks of its type
 * usually finish, sparse before and after — within the provider's advice (first-poll floor, polls per task).
 * All times are real-time ms since the task was submitted.
 */
import type { CaptchaType } from '@shared/captcha'
import type { SolveTimeModel } from './solve-time-model'
import type { PollAdvice, PollPolicy, TypeTiming } from './timing'

/** Past the time by which all but this share of tasks are ready, polls spread out towards the deadline. */
const TAIL_SHARE = 0.03
/** There, each gap is at least this share of the task's age (and never shorter than the type's poll interval). */
const TAIL_GROWTH = 0.2
/**
 * Anywhere, a gap is at least this share of the task's age. The model is built from the answers seen, and in a burst
 * every task has the same age, so it is mostly made of answers that came in a moment ago: it can look sure that a
 * task turns ready within the next second, again and again. Measured at 1,000 in flight: one reCAPTCHA v2 task
 * polled 15 times, every second from 21 s; requests per solve 3.17 → 2.89–3.04 (the seed's 3.10–3.16) with this.
 */
const AGE_GAP_SHARE = 0.05
/**
 * The ages just before a task's last "not ready" whose answers tell how fast tasks of that age turn ready: at least
 * this long, or this share of the age. Measured with the provider bench (CaptchaAI profile, six burst runs each,
 * alternating): median delay at 1,000 in flight 2.04 s on average without the rate, 1.69 s with it, at the same
 * requests per solve (2.85 / 2.87); at 100 in flight 1.59 → 1.46 s. Tried and not kept: the rate walked forward
 * through older tasks' ages in place of the model (Kaplan–Meier alone): fewer requests, but longer delays.
 */
const RATE_WINDOW_MS = 2_000
const RATE_WINDOW_SHARE = 0.2

export interface PlanInput {
  type: CaptchaType
  /** Polls already made for this task. */
  polls: number
  /** When the last "not ready" reply came (0 before the first poll). */
  lastNotReadyMs: number
  /** The task's deadline. */
  deadlineMs: number
  /** With a pingback the upstream calls us when it is done: polling is only the late fallback. */
  pingback: boolean
  /** Tasks in flight on the key (more of them: each poll must be likelier to find the task ready). */
  inFlight: number
}

/** The chance a poll must have: the policy's base up to 100 tasks in flight, its at-scale value from 1,000. */
export function readyChanceFor(policy: PollPolicy, inFlight: number): number {
  const t = Math.max(0, Math.min(1, Math.log10(Math.max(1, inFlight)) - 2))
  return policy.readyChancePerPoll + t * (policy.readyChanceAtScale - policy.readyChancePerPoll)
}

export function nextPollAt(
  input: PlanInput,
  model: SolveTimeModel,
  policy: PollPolicy,
  advice: PollAdvice,
  timing: TypeTiming,
): number {
  const { type, polls, deadlineMs } = input
  if (polls >= advice.maxPollsPerTask) return Infinity
  const floor = polls === 0 ? advice.firstPollMinMs[type] : 0
  if (input.pingback && polls === 0)
    return Math.max(floor, 1.5 * Math.max(model.quantile(type, 1 - TAIL_SHARE), timing.typicalMaxMs))
  const from = polls === 0 ? 0 : input.lastNotReadyMs
  const readyBefore = polls === 0 ? 0 : model.cdf(type, from)
  const left = 1 - readyBefore
  let at: number
  if (left < TAIL_SHARE) {
    // Later than nearly every task seen — or than a model that has so far seen only the quick ones, as in the first
    // seconds of a burst. Sharing the polls left evenly up to the deadline left such tasks unasked for 20 s and more
    // (measured: reCAPTCHA v2 p95 35–42 s after ready, at 1,000 in flight). Instead: the type's poll interval while
    // the task is young, then gaps that grow with its age, geometrically — as fast as the polls left need to reach
    // the last moment worth a poll, and no faster (with no limit on polls, the interval throughout). That moment is a
    // gap before the deadline: at the deadline itself the task times out before any poll goes.
    const last = deadlineMs - policy.minGapMs
    const pollsLeft = advice.maxPollsPerTask - polls
    const age = Math.max(from, 1)
    const growth = Number.isFinite(pollsLeft) ? Math.max(TAIL_GROWTH, (last / age) ** (1 / pollsLeft) - 1) : 0
    at = from + Math.max(timing.pollIntervalMs, age * growth)
    if (from < last) at = Math.min(at, last)
  } else {
    at = model.quantile(type, readyBefore + readyChanceFor(policy, input.inFlight) * left)
    at = Math.max(at, from + policy.minGapMs, from + AGE_GAP_SHARE * from)
    // After the first poll, never wait longer than the type's poll interval between two polls.
    if (polls > 0) at = Math.min(at, from + Math.max(policy.minGapMs, timing.pollIntervalMs))
  }
  if (polls > 0) {
    // The model above knows only the tasks that ended. Where tasks of this age are being answered now — its cohort,
    // in a burst — the rate at which they turn ready (answers over the time tasks were seen waiting, those still in
    // flight included) says when the chance reaches the policy's, and that may come sooner than the model thinks.
    const rate = model.readyRate(type, from - Math.max(RATE_WINDOW_MS, RATE_WINDOW_SHARE * from), from)
    if (rate !== undefined) {
      const gap = -Math.log(1 - readyChanceFor(policy, input.inFlight)) / rate
      at = Math.min(at, from + Math.max(gap, policy.minGapMs, AGE_GAP_SHARE * from))
    }
  }
  return Math.max(at, floor)
}
