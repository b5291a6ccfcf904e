/**
 * Generic cell rate algorithm for "N requests per window", tuned so that no sliding window of that length ever
 * admits more than N (no 2× burst at a fixed-window boundary): a burst of `burst` is allowed up front and the rest is
 * spread evenly, emission interval T = window / (N − burst + 1), tolerance τ = (burst − 1)·T. One number per tenant.
 */
export interface GcraParams {
  limit: number
  windowMs: number
  burst: number
}

export function gcraParams(
  limit: number,
  windowMs = 60_000,
  burst = Math.max(1, Math.ceil(limit / 10)),
): GcraParams {
  return { limit, windowMs, burst: Math.min(Math.max(1, burst), limit) }
}

export interface GcraDecision {
  ok: boolean
  /** The new theoretical arrival time when ok; unchanged otherwise (a refusal consumes nothing). */
  tat: number
  retryAfterMs: number
}

export function gcraCheck(p: GcraParams, tat: number, now: number): GcraDecision {
  const T = p.windowMs / (p.limit - p.burst + 1)
  const tau = (p.burst - 1) * T
  const base = Math.max(tat, now)
  if (now < tat - tau) return { ok: false, tat, retryAfterMs: Math.ceil(tat - tau - now) }
  return { ok: true, tat: base + T, retryAfterMs: 0 }
}
