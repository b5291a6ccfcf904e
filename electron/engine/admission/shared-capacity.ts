/**
 * Fair share of the platform key's threads. Each shared-mode tenant is entitled to capacity × weight / (sum of the
 * weights of tenants active lately). A tenant under its share is admitted whenever a thread is free; a tenant at or
 * over its share may borrow idle threads only while the pool is below the saturation mark (80 %), so the last
 * fifth is kept for tenants that have not had their share. One busy tenant cannot starve the others.
 */
export class SharedCapacity {
  private readonly inUse = new Map<string, number>()
  private readonly lastSeen = new Map<string, { at: number; weight: number }>()
  private total = 0

  constructor(
    public capacity: number | undefined,
    private readonly saturation = 0.8,
    private readonly activeWindowMs = 30_000,
  ) {}

  get used(): number {
    return this.total
  }

  usedBy(tenantId: string): number {
    return this.inUse.get(tenantId) ?? 0
  }

  shareOf(tenantId: string, weight: number, now: number): number {
    if (this.capacity === undefined) return Infinity
    let sum = weight
    for (const [id, s] of this.lastSeen) {
      if (id === tenantId) continue
      if ((this.inUse.get(id) ?? 0) > 0 || now - s.at < this.activeWindowMs) sum += s.weight
    }
    return (this.capacity * weight) / sum
  }

  /** Whether one more thread may go to this tenant now; does not take it. */
  check(tenantId: string, weight: number, now: number): { ok: true } | { ok: false; reason: string } {
    if (this.capacity === undefined) return { ok: true }
    if (this.total >= this.capacity)
      return { ok: false, reason: `all ${this.capacity} shared threads are busy` }
    const mine = this.usedBy(tenantId)
    if (mine < this.shareOf(tenantId, weight, now)) return { ok: true }
    if (this.total < this.capacity * this.saturation) return { ok: true }
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

  /** Note demand from a tenant that was refused, so its share counts while it waits. */
  noteDemand(tenantId: string, weight: number, now: number): void {
    this.lastSeen.set(tenantId, { at: now, weight })
  }
}
