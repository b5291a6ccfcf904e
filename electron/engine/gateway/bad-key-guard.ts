/**
 * Bad-key throttling that hits only the guilty. A platform's backend usually sends every tenant's traffic from one
 * address, so a ban is never checked for a request that carries a valid key: the key is looked up first, and only
 * requests with an unknown key are counted and, past the limit, refused with IP_BANNED. Failures are counted per
 * source and per presented key (by a short fingerprint, never the key), so the console can show who is guessing;
 * bans and lifts are reported to the caller for the audit log.
 */
import { createHash } from 'node:crypto'

export interface BanInfo {
  source: string
  until: number
  /** Failures that led to it. */
  failures: number
  /** Distinct keys presented from this source in the counting window. */
  distinctKeys: number
}

export interface FailureCount {
  source: string
  /** First 8 hex of SHA-256 of the presented key ("(none)" for a missing one): tells keys apart, reveals nothing. */
  keyFingerprint: string
  failures: number
  lastAt: number
}

export interface BadKeyGuardOptions {
  now?: () => number
  /** Failures per source within `windowMs` that start a ban (default 20 a minute). */
  limit?: number
  windowMs?: number
  banMs?: number
  onBan?: (ban: BanInfo) => void
  /** Most sources tracked at once (oldest forgotten first), so a flood of addresses cannot grow memory. */
  maxSources?: number
}

interface SourceState {
  hits: number[]
  keys: Map<string, { failures: number; lastAt: number }>
}

const fingerprint = (key: string | undefined): string =>
  key ? createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 8) : '(none)'

export class BadKeyGuard {
  private readonly sources = new Map<string, SourceState>()
  private readonly bans = new Map<string, BanInfo>()
  private readonly now: () => number
  private readonly limit: number
  private readonly windowMs: number
  private readonly banMs: number
  private readonly maxSources: number

  constructor(private readonly options: BadKeyGuardOptions = {}) {
    this.now = options.now ?? Date.now
    this.limit = options.limit ?? 20
    this.windowMs = options.windowMs ?? 60_000
    this.banMs = options.banMs ?? 5 * 60_000
    this.maxSources = options.maxSources ?? 10_000
  }

  /** The ban in force for a source, if any (only ever consulted for requests whose key did not authenticate). */
  banned(source: string): BanInfo | undefined {
    const b = this.bans.get(source)
    if (!b) return undefined
    if (b.until > this.now()) return b
    this.bans.delete(source)
    return undefined
  }

  /** Counts one request with an unknown key; returns the ban it started, if it did. */
  fail(source: string, presentedKey: string | undefined): BanInfo | undefined {
    const t = this.now()
    let s = this.sources.get(source)
    if (!s) {
      if (this.sources.size >= this.maxSources) this.sources.delete(this.sources.keys().next().value!)
      s = { hits: [], keys: new Map() }
      this.sources.set(source, s)
    }
    s.hits = s.hits.filter((h) => t - h < this.windowMs)
    s.hits.push(t)
    const fp = fingerprint(presentedKey)
    const k = s.keys.get(fp) ?? { failures: 0, lastAt: t }
    k.failures++
    k.lastAt = t
    s.keys.set(fp, k)
    if (s.keys.size > 100) s.keys.delete(s.keys.keys().next().value!)
    if (s.hits.length < this.limit || this.banned(source)) return undefined
    const recent = [...s.keys.values()].filter((x) => t - x.lastAt < this.windowMs).length
    const ban: BanInfo = { source, until: t + this.banMs, failures: s.hits.length, distinctKeys: recent }
    this.bans.set(source, ban)
    s.hits = []
    this.options.onBan?.(ban)
    return ban
  }

  /** Bans in force now. */
  list(): BanInfo[] {
    const t = this.now()
    for (const [src, b] of this.bans) if (b.until <= t) this.bans.delete(src)
    return [...this.bans.values()].sort((a, b) => b.until - a.until)
  }

  /** Recent failures by source and presented key, most recent first (at most `limit`). */
  failures(limit = 100): FailureCount[] {
    const out: FailureCount[] = []
    for (const [source, s] of this.sources)
      for (const [keyFingerprint, k] of s.keys) out.push({ source, keyFingerprint, ...k })
    return out.sort((a, b) => b.lastAt - a.lastAt).slice(0, limit)
  }

  /** Lifts a ban (and forgets the source's count); false if there was none. */
  lift(source: string): boolean {
    this.sources.delete(source)
    return this.bans.delete(source)
  }
}
