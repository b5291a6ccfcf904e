/**
 * Fair share of the platform key's threads (the scarce upstream resource: CaptchaAI sells concurrent threads).
 *
 * Share: each shared-mode tenant is entitled to capacity × weight / Σ weights of the tenants active lately (holding
 * a thread, or seen in the last `activeWindowMs`), so an idle tenant's share is lent to the others.
 * Shares are held in whole threads. Rule, checked atomically with every other limit:
 *   1. No thread free → refused.
 *   2. Guaranteed part: a tenant holding fewer than ⌊share⌋ threads is admitted.
 *   3. Rest of its share (the fraction): admitted if the threads left still cover the unmet ⌊share⌋ of every tenant
 *      that is *demanding* (refused in the last `demandWindowMs`).
 *   4. Borrowing beyond its share: only (a) while the pool is below the saturation mark (80 %), which keeps the
 *      last fifth for quiet tenants to get a thread at once, and (b) if the threads left still cover the unmet
 *      ⌈share⌉ of every demanding tenant — so a tenant that asks first (or retries fastest) cannot keep a
 *      saturating neighbour below its share, even when many threads free at once.
 * One busy tenant therefore cannot starve the others, and nothing is held back when nobody else wants it.
 */
export class SharedCapacity {
  private readonly inUse = new Map<string, number>()
  private readonly lastSeen = new Map<string, { at: number; weight: number }>()
  private readonly lastRefused = new Map<string, number>()
  private total = 0

  constructor(
    public capacity: number | undefined,
    private readonly saturation = 0.8,
    private readonly activeWindowMs = 30_000,
    private readonly demandWindowMs = 5_000,
  ) {}

  get used(): number {
    return this.total
  }

  usedBy(tenantId: string): number {
    return this.inUse.get(tenantId) ?? 0
  }

  private isActive(id: string, at: number, now: number): boolean {
    return (this.inUse.get(id) ?? 0) > 0 || now - at < this.activeWindowMs
  }

  private activeWeight(tenantId: string, weight: number, now: number): number {
    let sum = weight
    for (const [id, s] of this.lastSeen) if (id !== tenantId && this.isActive(id, s.at, now)) sum += s.weight
    return sum
  }

  shareOf(tenantId: string, weight: number, now: number): number {
    if (this.capacity === undefined) return Infinity
    return (this.capacity * weight) / this.activeWeight(tenantId, weight, now)
  }

  /** Threads that must stay free for other tenants that want their share now (whole threads, rounded by `round`). */
  private heldForOthers(tenantId: string, weight: number, now: number, round: (x: number) => number): number {
    const cap = this.capacity ?? Infinity
    let sum = -1
    let held = 0
    for (const [id, refusedAt] of this.lastRefused) {
      if (id === tenantId) continue
      if (now - refusedAt >= this.demandWindowMs) {
        this.lastRefused.delete(id) // forget old demand (keeps the map small)
        continue
      }
      if (sum < 0) sum = this.activeWeight(tenantId, weight, now)
      const w = this.lastSeen.get(id)?.weight ?? 1
      held += Math.max(0, round((cap * w) / sum) - this.usedBy(id))
    }
    return held
  }

  /** Whether one more thread may go to this tenant now; does not take it. */
  check(tenantId: string, weight: number, now: number): { ok: true } | { ok: false; reason: string } {
    if (this.capacity === undefined) return { ok: true }
    if (this.total >= this.capacity)
      return { ok: false, reason: `all ${this.capacity} shared threads are busy` }
    const mine = this.usedBy(tenantId)
    const share = this.shareOf(tenantId, weight, now)
    if (mine + 1 <= Math.floor(share)) return { ok: true }
    const free = this.capacity - this.total
    if (mine < share) {
      if (free - 1 >= this.heldForOthers(tenantId, weight, now, Math.floor)) return { ok: true }
    } else if (
      this.total < this.capacity * this.saturation &&
      free - 1 >= this.heldForOthers(tenantId, weight, now, Math.ceil)
    ) {
      return { ok: true }
    }
    return {
      ok: false,
      reason: 'this tenant already uses its fair share of the shared threads while others need theirs',
    }
  }

  take(tenantId: string, weight: number, now: number): void {
    this.inUse.set(tenantId, this.usedBy(tenantId) + 1)
    this.lastSeen.set(tenantId, { at: now, weight })
    this.total++
  }

  give(tenantId: string, now: number): void {
    const n = this.usedBy(tenantId)
    if (n <= 0) return
    if (n === 1) this.inUse.delete(tenantId)
    else this.inUse.set(tenantId, n - 1)
    const seen = this.lastSeen.get(tenantId)
    if (seen) seen.at = now
    this.total--
  }

  /** Notes demand from a tenant that was refused: its share counts, and is held for it, while it waits. */
  noteDemand(tenantId: string, weight: number, now: number): void {
    this.lastSeen.set(tenantId, { at: now, weight })
    this.lastRefused.set(tenantId, now)
  }
}
