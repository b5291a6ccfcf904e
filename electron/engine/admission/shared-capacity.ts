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
 *
 * Cost: O(1) per decision. The active weights, the demanding tenants' whole shares and the threads held for them
 * are recounted at most every `recountEveryMs` (at once when a tenant becomes active) and kept current on every
 * take / give in between; only the shares themselves may be up to that old.
 */
export class SharedCapacity {
  private readonly inUse = new Map<string, number>()
  private readonly lastSeen = new Map<string, { at: number; weight: number }>()
  private total = 0
  /** Active tenants → weight, and their sum, as of the last recount (plus tenants that became active since). */
  private readonly counted = new Map<string, number>()
  private activeSum = 0
  private countedAt = -Infinity
  /** Demanding tenants → when last refused, and their whole shares (⌊⌋, ⌈⌉) as of the last recount. */
  private readonly demanding = new Map<string, { at: number; floor: number; ceil: number }>()
  /** Σ over demanding tenants of max(0, ⌊share⌋ − in use) and of max(0, ⌈share⌉ − in use). */
  private heldFloor = 0
  private heldCeil = 0

  constructor(
    public capacity: number | undefined,
    private readonly saturation = 0.8,
    private readonly activeWindowMs = 30_000,
    private readonly demandWindowMs = 5_000,
    private readonly recountEveryMs = 250,
  ) {}

  get used(): number {
    return this.total
  }

  usedBy(tenantId: string): number {
    return this.inUse.get(tenantId) ?? 0
  }

  private refresh(now: number): void {
    if (now - this.countedAt < this.recountEveryMs && now >= this.countedAt) return
    this.counted.clear()
    this.activeSum = 0
    for (const [id, s] of this.lastSeen)
      if (this.usedBy(id) > 0 || now - s.at < this.activeWindowMs) {
        this.counted.set(id, s.weight)
        this.activeSum += s.weight
      }
    this.heldFloor = 0
    this.heldCeil = 0
    for (const [id, d] of this.demanding) {
      if (now - d.at >= this.demandWindowMs) {
        this.demanding.delete(id)
        continue
      }
      this.setShares(id, d)
      this.heldFloor += Math.max(0, d.floor - this.usedBy(id))
      this.heldCeil += Math.max(0, d.ceil - this.usedBy(id))
    }
    this.countedAt = now
  }

  private setShares(id: string, d: { floor: number; ceil: number }): void {
    const w = this.counted.get(id) ?? this.lastSeen.get(id)?.weight ?? 1
    const share = this.capacity === undefined ? 0 : (this.capacity * w) / Math.max(w, this.activeSum)
    d.floor = Math.floor(share)
    d.ceil = Math.ceil(share)
  }

  /** Σ weights of the active tenants with this one counted at `weight`. */
  private activeWeight(tenantId: string, weight: number, now: number): number {
    this.refresh(now)
    return this.activeSum - (this.counted.get(tenantId) ?? 0) + weight
  }

  shareOf(tenantId: string, weight: number, now: number): number {
    if (this.capacity === undefined) return Infinity
    return (this.capacity * weight) / this.activeWeight(tenantId, weight, now)
  }

  /** Threads that must stay free for the other demanding tenants' unmet whole shares. */
  private heldForOthers(tenantId: string, round: 'floor' | 'ceil'): number {
    const all = round === 'floor' ? this.heldFloor : this.heldCeil
    const mine = this.demanding.get(tenantId)
    return mine ? all - Math.max(0, mine[round] - this.usedBy(tenantId)) : all
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
      if (free - 1 >= this.heldForOthers(tenantId, 'floor')) return { ok: true }
    } else if (
      this.total < this.capacity * this.saturation &&
      free - 1 >= this.heldForOthers(tenantId, 'ceil')
    ) {
      return { ok: true }
    }
    return {
      ok: false,
      reason: 'this tenant already uses its fair share of the shared threads while others need theirs',
    }
  }

  /** A tenant took a thread or asked for one: active now; a newcomer (or new weight) triggers a recount. */
  private markActive(tenantId: string, weight: number, now: number): void {
    this.lastSeen.set(tenantId, { at: now, weight })
    if (this.counted.get(tenantId) !== weight) this.countedAt = -Infinity
  }

  take(tenantId: string, weight: number, now: number): void {
    const before = this.usedBy(tenantId)
    const d = this.demanding.get(tenantId)
    if (d) {
      if (before < d.floor) this.heldFloor--
      if (before < d.ceil) this.heldCeil--
    }
    this.inUse.set(tenantId, before + 1)
    this.markActive(tenantId, weight, now)
    this.total++
  }

  give(tenantId: string, now: number): void {
    const n = this.usedBy(tenantId)
    if (n <= 0) return
    if (n === 1) this.inUse.delete(tenantId)
    else this.inUse.set(tenantId, n - 1)
    const d = this.demanding.get(tenantId)
    if (d) {
      if (n - 1 < d.floor) this.heldFloor++
      if (n - 1 < d.ceil) this.heldCeil++
    }
    const seen = this.lastSeen.get(tenantId)
    if (seen) seen.at = now
    this.total--
  }

  /** Notes demand from a tenant that was refused: its share counts, and is held for it, while it waits. */
  noteDemand(tenantId: string, weight: number, now: number): void {
    this.markActive(tenantId, weight, now)
    const d = this.demanding.get(tenantId)
    if (d) {
      d.at = now
      return
    }
    this.refresh(now)
    const fresh = { at: now, floor: 0, ceil: 0 }
    this.setShares(tenantId, fresh)
    this.demanding.set(tenantId, fresh)
    this.heldFloor += Math.max(0, fresh.floor - this.usedBy(tenantId))
    this.heldCeil += Math.max(0, fresh.ceil - this.usedBy(tenantId))
  }
}
