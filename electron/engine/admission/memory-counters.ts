/**
 * The few key-value commands the keyed admission store runs, shaped like Valkey/Redis ones (GET, SET … PXAT, DEL,
 * INCRBY, and ZADD/ZSCORE/ZREMRANGEBYSCORE/ZCOUNT/ZRANGEBYSCORE on sorted sets), and an in-process implementation.
 * A Valkey implementation would run the store's check-and-reserve as one Lua script, which is why every command is
 * synchronous here: nothing may come between a check and its reservation. Expiry is judged at the `now` the caller
 * passes (a script receives the request's time as an argument), never at the machine's clock.
 */
export interface Counters {
  /** GET: the number at `key`, or undefined when it is missing or has expired at `now`. */
  get(key: string, now: number): number | undefined
  /** SET: `value` at `key`, expiring at `expireAt` (epoch ms; undefined: never). */
  set(key: string, value: number, expireAt?: number): void
  /** INCRBY on a key that exists at `now` (keeping its expiry); a missing key stays missing: undefined. */
  incrIfExists(key: string, by: number, now: number): number | undefined
  /** DEL: whether the key was there. */
  del(key: string): boolean
  /** ZADD: `member` of the sorted set at `key` with `score` (added or replaced). */
  zadd(key: string, member: string, score: number): void
  /** ZSCORE */
  zscore(key: string, member: string): number | undefined
  /** ZREMRANGEBYSCORE key -inf max */
  zremUpTo(key: string, max: number): void
  /** ZCOUNT key (min +inf */
  zcountAbove(key: string, min: number): number
  /** The lowest score above `min` (ZRANGEBYSCORE key (min +inf WITHSCORES LIMIT 0 1), or undefined. */
  zlowestAbove(key: string, min: number): number | undefined
}

export class MemoryCounters implements Counters {
  private readonly values = new Map<string, { value: number; expireAt: number }>()
  private readonly sets = new Map<string, Map<string, number>>()

  get(key: string, now: number): number | undefined {
    const v = this.values.get(key)
    if (v === undefined) return undefined
    if (now >= v.expireAt) {
      this.values.delete(key)
      return undefined
    }
    return v.value
  }

  set(key: string, value: number, expireAt = Infinity): void {
    this.values.set(key, { value, expireAt })
  }

  incrIfExists(key: string, by: number, now: number): number | undefined {
    if (this.get(key, now) === undefined) return undefined
    const v = this.values.get(key)!
    v.value += by
    return v.value
  }

  del(key: string): boolean {
    return this.values.delete(key)
  }

  zadd(key: string, member: string, score: number): void {
    let set = this.sets.get(key)
    if (!set) this.sets.set(key, (set = new Map()))
    set.set(member, score)
  }

  zscore(key: string, member: string): number | undefined {
    return this.sets.get(key)?.get(member)
  }

  zremUpTo(key: string, max: number): void {
    const set = this.sets.get(key)
    if (!set) return
    for (const [member, score] of set) if (score <= max) set.delete(member)
    if (set.size === 0) this.sets.delete(key)
  }

  zcountAbove(key: string, min: number): number {
    let n = 0
    for (const score of this.sets.get(key)?.values() ?? []) if (score > min) n++
    return n
  }

  zlowestAbove(key: string, min: number): number | undefined {
    let lowest: number | undefined
    for (const score of this.sets.get(key)?.values() ?? [])
      if (score > min && (lowest === undefined || score < lowest)) lowest = score
    return lowest
  }
}
