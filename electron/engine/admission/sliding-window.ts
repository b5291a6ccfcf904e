/**
 * "N requests per minute" as people read it: at most N admissions in ANY 60-second window, and a burst of up to N
 * at once is fine (3/min admits three requests in the same second, then the 4th a minute after the 1st). Each
 * admission keeps its time; when the solve reaches the upstream, its time moves to the submission (never earlier),
 * so the upstream never sees more than N in a window either. A refusal consumes nothing.
 */
export interface WindowEntry {
  t: number
}

export class SlidingWindow {
  /** In admission order; a submission can only move an entry's time later. */
  private entries: WindowEntry[] = []
  private head = 0

  constructor(private readonly windowMs = 60_000) {}

  /** Whether one more fits at `now` (changes nothing but forgetting expired entries). */
  check(limit: number, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    const cutoff = now - this.windowMs
    // Drop expired entries from the front (cheap, amortised); the rest are counted exactly below when it matters.
    while (this.head < this.entries.length && this.entries[this.head]!.t <= cutoff) this.head++
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head)
      this.head = 0
    }
    let live = this.entries.length - this.head
    let oldest = Infinity
    if (live >= limit) {
      // An entry behind the front may have expired while the front waited for its submission: count exactly.
      live = 0
      for (let i = this.head; i < this.entries.length; i++) {
        const t = this.entries[i]!.t
        if (t > cutoff) {
          live++
          if (t < oldest) oldest = t
        }
      }
    }
    if (live >= limit)
      return { ok: false, retryAfterMs: Math.max(1, Math.ceil(oldest + this.windowMs - now)) }
    return { ok: true }
  }

  /** Counts one admission at `now` (only after check said yes, in the same synchronous step). */
  take(now: number): WindowEntry {
    const entry = { t: now }
    this.entries.push(entry)
    return entry
  }

  /** The admitted request reached the upstream at `at`: count it from then (a window never sees it earlier). */
  static moveTo(entry: WindowEntry, at: number): void {
    if (at > entry.t) entry.t = at
  }
}
