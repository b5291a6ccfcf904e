/**
 * Recent durations (ms) and their quantiles, for the figures the engine logs when it stops (how long kill-safe
 * writes waited for the disk, how long the gateway took per in.php). Keeps the latest 5,000–10,000 values: recent
 * ones are what matter, and memory stays bounded however long the process runs.
 */
export class LatencySample {
  private values: number[] = []
  private maxSeen = 0
  private count = 0

  add(ms: number): void {
    this.count++
    this.maxSeen = Math.max(this.maxSeen, ms)
    if (this.values.length >= 10_000) this.values.splice(0, 5_000)
    this.values.push(ms)
  }

  /** n: every value added; p50/p99 over the recent ones; max over all. Zeros when empty. */
  summary(): { n: number; p50Ms: number; p99Ms: number; maxMs: number } {
    const sorted = [...this.values].sort((a, b) => a - b)
    const q = (p: number): number =>
      sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!
    return { n: this.count, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: this.maxSeen }
  }
}
