/**
 * The gap to a key's next batch poll: the shortest gap in which about `targetReadyPerRequest` tasks are expected to
 * turn ready per request the poll will cost, within [minIntervalMs, the tasks' pollIntervalMs / maxIntervalMs].
 * Readiness is taken as uniform between a type's firstPollMs and typicalMaxMs (conditioned on the task not being
 * ready yet); past typicalMaxMs a task stays as likely to turn ready as in its window. Real-time ms.
 */
import type { CaptchaType } from '@shared/captcha'
import type { PollPolicy, TypeTiming } from './timing'

export const BATCH_SIZE = 100

export interface CadenceTask {
  type: CaptchaType
  /** Real-time ms from now until the task may be polled (negative: already). */
  activeInMs: number
  /** Real-time ms since submit. */
  elapsedMs: number
}

export function batchGapMs(
  waiting: Iterable<CadenceTask>,
  policy: PollPolicy,
  timing: (type: CaptchaType) => TypeTiming,
): number {
  const { minIntervalMs, maxIntervalMs, targetReadyPerRequest } = policy
  let cap = maxIntervalMs
  const tasks: Array<{ active: number; elapsed: number; a: number; b: number }> = []
  for (const w of waiting) {
    if (w.activeInMs > maxIntervalMs) continue
    const t = timing(w.type)
    cap = Math.min(cap, t.pollIntervalMs)
    tasks.push({ active: w.activeInMs, elapsed: w.elapsedMs, a: t.firstPollMs, b: t.typicalMaxMs })
  }
  const floor = Math.min(minIntervalMs, cap)
  if (tasks.length === 0) return cap
  const wanted = targetReadyPerRequest * Math.ceil(tasks.length / BATCH_SIZE)
  const expectedReady = (gap: number): number => {
    let sum = 0
    for (const { active, elapsed: e, a, b } of tasks) {
      if (active > gap) continue
      const window = Math.max(1_000, b - a)
      if (e < a) sum += Math.min(1, Math.max(0, e + gap - a) / window)
      else if (e < b) sum += Math.min(1, gap / Math.max(1_000, b - e))
      else sum += Math.min(1, gap / window)
    }
    return sum
  }
  if (expectedReady(floor) >= wanted) return floor
  if (expectedReady(cap) < wanted) return cap
  let lo = floor
  let hi = cap
  for (let i = 0; i < 16 && hi - lo > 10; i++) {
    const mid = (lo + hi) / 2
    if (expectedReady(mid) >= wanted) hi = mid
    else lo = mid
  }
  return hi
}
