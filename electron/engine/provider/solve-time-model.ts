/**
 * How long tasks of each type take at this provider, learned from the answers seen: a distribution of solve times
 * (submit → ready, real-time ms) per captcha type, kept as a histogram that forgets slowly (about the last
 * `window` tasks weigh most).
 *
 * Polls only show that a task turned ready somewhere between the last "not ready" and the "ready" reply, so each
 * observation is an interval. Its weight is spread over the interval in proportion to what the model already
 * believes (one self-consistency step, as in Turnbull's estimator), so early polls do not drag the model early.
 * A pingback gives an exact time. Until tasks have been seen, a prior (the profile's timing table) stands in.
 * Beside it, the model keeps how long tasks were seen still waiting at each age (every "not ready" reply), so it can
 * tell how fast tasks of an age turn ready with the tasks still in flight counted too (readyRate).
 *
 * Queries (cdf, quantile) are O(log bins) through a Fenwick tree.
 *
 * What it has learned outlives a restart: `snapshot()` gives it as plain data (the engine keeps it in its database,
 * ./learned-solve-times.ts) and `restore()` takes it back, checked, so polling after a restart starts from the solve
 * times seen before it instead of the timing table.
 */
import { CAPTCHA_TYPES, type CaptchaType } from '@shared/captcha'

/** Histogram resolution: 250 ms bins up to 10 minutes; later times count in the last bin. */
const BIN_MS = 250
const BINS = 2_400
const MAX_MS = BIN_MS * BINS
/** Weight of the prior, in tasks. */
const PRIOR_WEIGHT = 6
/** A little weight everywhere below MAX_MS, so no interval ever has zero belief. */
const FLOOR_WEIGHT = 0.05

class Fenwick {
  readonly tree: Float64Array
  constructor(readonly size: number) {
    this.tree = new Float64Array(size + 1)
  }
  add(i: number, v: number): void {
    for (i++; i <= this.size; i += i & -i) this.tree[i]! += v
  }
  /** Sum of bins [0, i). */
  prefix(i: number): number {
    let s = 0
    for (; i > 0; i -= i & -i) s += this.tree[i]!
    return s
  }
  /** Largest i with prefix(i) <= v (the bin where the cumulative weight passes v). */
  lowerBound(v: number): number {
    let pos = 0
    let step = 1
    while (step * 2 <= this.size) step *= 2
    for (; step > 0; step >>= 1) {
      const next = pos + step
      if (next <= this.size && this.tree[next]! <= v) {
        pos = next
        v -= this.tree[next]!
      }
    }
    return pos
  }
}

class TypeModel {
  private bins = new Float64Array(BINS)
  private fenwick = new Fenwick(BINS)
  /** Answers seen, as `bins` holds them but without the prior: where tasks turned ready (weight × scale). */
  private seen = new Float64Array(BINS)
  /** Time tasks were known to be still waiting, per bin (task-ms × scale): answered tasks and tasks in flight. */
  private waiting = new Float64Array(BINS)
  /** Weights are stored multiplied by `scale`; growing it makes older weights count less. */
  private scale = 1
  observed = 0

  constructor(
    prior: { fromMs: number; toMs: number },
    private readonly growth: number,
  ) {
    this.addUniform(0, MAX_MS, FLOOR_WEIGHT)
    this.addUniform(prior.fromMs, Math.max(prior.fromMs + BIN_MS, prior.toMs), PRIOR_WEIGHT)
  }

  private total(): number {
    return this.fenwick.prefix(BINS)
  }

  private put(bin: number, w: number): void {
    this.bins[bin]! += w
    this.fenwick.add(bin, w)
  }

  /** Adds `weight` (in tasks) spread evenly over [from, to). */
  private addUniform(from: number, to: number, weight: number): void {
    const a = Math.max(0, Math.min(MAX_MS - 1, from))
    const b = Math.max(a + 1, Math.min(MAX_MS, to))
    const first = Math.floor(a / BIN_MS)
    const last = Math.min(BINS - 1, Math.floor((b - 1) / BIN_MS))
    const w = (weight * this.scale) / (b - a)
    for (let i = first; i <= last; i++) {
      const overlap = Math.min(b, (i + 1) * BIN_MS) - Math.max(a, i * BIN_MS)
      if (overlap > 0) this.put(i, w * overlap)
    }
  }

  /** One task seen ready somewhere in (fromMs, toMs] after submit (fromMs = toMs: exactly then). */
  observe(fromMs: number, toMs: number): void {
    this.observed++
    this.scale *= this.growth
    const lo = Math.max(0, Math.min(fromMs, toMs))
    const hi = Math.max(lo, toMs)
    const first = Math.min(BINS - 1, Math.floor(lo / BIN_MS))
    const last = Math.min(BINS - 1, Math.floor(Math.max(lo, hi - 1) / BIN_MS))
    // Spread one task's weight over the interval in proportion to the current belief about it.
    let belief = 0
    for (let i = first; i <= last; i++) belief += this.bins[i]! * this.overlap(i, lo, hi)
    if (belief > 0) {
      const w = this.scale / belief
      for (let i = first; i <= last; i++) {
        const share = this.bins[i]! * this.overlap(i, lo, hi)
        if (share > 0) {
          this.put(i, share * w)
          this.seen[i]! += share * w
        }
      }
    } else {
      this.addUniform(lo, hi + 1, 1)
      this.seen[first]! += this.scale
    }
    if (this.scale > 1e12) this.renormalise()
  }

  /** Tasks were still waiting from `fromMs` to `toMs` after submit, `weight` of them (in tasks). */
  observeWaiting(fromMs: number, toMs: number, weight: number): void {
    const a = Math.max(0, Math.min(MAX_MS, fromMs))
    const b = Math.max(a, Math.min(MAX_MS, toMs))
    const w = weight * this.scale
    for (let i = Math.floor(a / BIN_MS); i < BINS && i * BIN_MS < b; i++) {
      const o = Math.min(b, (i + 1) * BIN_MS) - Math.max(a, i * BIN_MS)
      if (o > 0) this.waiting[i]! += w * o
    }
  }

  /**
   * How fast tasks still waiting at ages in [fromMs, toMs) turned ready, per ms: the answers seen at those ages over
   * the time tasks were seen waiting there, tasks still in flight included (the Kaplan–Meier view of the data).
   * Undefined with fewer than `minAnswers` answers there (recent answers count one each, older ones less).
   * The cdf knows only the tasks that ended: in a burst the first answers are the quick ones, and it takes them for
   * all there is, while the tasks still waiting say otherwise.
   */
  readyRate(fromMs: number, toMs: number, minAnswers: number): number | undefined {
    let answers = 0
    let waiting = 0
    const first = Math.max(0, Math.floor(fromMs / BIN_MS))
    const last = Math.min(BINS - 1, Math.floor(Math.max(fromMs, toMs - 1) / BIN_MS))
    for (let i = first; i <= last; i++) {
      answers += this.seen[i]!
      waiting += this.waiting[i]!
    }
    // One answer's spread weights add up to `scale` give or take rounding: a tie counts as enough.
    if (answers < minAnswers * this.scale * (1 - 1e-9) || waiting <= 0) return undefined
    return answers / waiting
  }

  /** Fraction of bin i inside [lo, hi] (a point interval counts its whole bin). */
  private overlap(i: number, lo: number, hi: number): number {
    if (hi <= lo) return 1
    const o = Math.min(hi, (i + 1) * BIN_MS) - Math.max(lo, i * BIN_MS)
    return o > 0 ? o / BIN_MS : 0
  }

  private renormalise(): void {
    const bins = this.bins.map((w) => w / this.scale)
    for (const a of [this.seen, this.waiting]) for (let i = 0; i < BINS; i++) a[i]! /= this.scale
    this.scale = 1
    this.bins = new Float64Array(BINS)
    this.fenwick = new Fenwick(BINS)
    bins.forEach((w, i) => w > 0 && this.put(i, w))
  }

  /** What this type has learned, with the weights as they count now (divided by `scale`). */
  snapshot(): TypeSnapshot {
    const now = (a: Float64Array): string => encodeWeights(a.map((w) => w / this.scale))
    return {
      observed: this.observed,
      belief: now(this.bins),
      seen: now(this.seen),
      waiting: now(this.waiting),
    }
  }

  /**
   * Takes back what a snapshot held (weights already checked: finite, ≥ 0, one per bin); a bin whose weight had
   * faded to nothing gets the floor again, so no interval has zero belief.
   */
  restore(
    observed: number,
    belief: Float64Array<ArrayBuffer>,
    seen: Float64Array<ArrayBuffer>,
    waiting: Float64Array<ArrayBuffer>,
  ): void {
    this.scale = 1
    this.observed = observed
    this.bins = new Float64Array(BINS)
    this.fenwick = new Fenwick(BINS)
    this.seen = seen
    this.waiting = waiting
    // Where the stored floor had faded below float32's range, a fresh one (what the constructor gives each bin).
    belief.forEach((w, i) => this.put(i, w > 0 ? w : FLOOR_WEIGHT / BINS))
  }

  /** P(solve time ≤ t). */
  cdf(t: number): number {
    if (t <= 0) return 0
    if (t >= MAX_MS) return 1
    const bin = Math.floor(t / BIN_MS)
    const within = (t - bin * BIN_MS) / BIN_MS
    return (this.fenwick.prefix(bin) + this.bins[bin]! * within) / this.total()
  }

  /** The time by which a fraction p of tasks is ready. */
  quantile(p: number): number {
    const target = Math.max(0, Math.min(1, p)) * this.total()
    const bin = Math.min(BINS - 1, this.fenwick.lowerBound(target))
    const before = this.fenwick.prefix(bin)
    const w = this.bins[bin]!
    const within = w > 0 ? Math.max(0, Math.min(1, (target - before) / w)) : 0
    return (bin + within) * BIN_MS
  }
}

/** One type's learned weights per bin, each array as base64 of little-endian float32 (BINS of them). */
interface TypeSnapshot {
  observed: number
  belief: string
  seen: string
  waiting: string
}

/** What a SolveTimeModel has learned, as plain JSON-safe data (format 1: 250 ms bins, 2,400 of them). */
export interface SolveTimeSnapshot {
  format: 1
  binMs: number
  bins: number
  types: Partial<Record<CaptchaType, TypeSnapshot>>
}

/** Little-endian whatever the machine, so a snapshot reads back the same on any other. */
function encodeWeights(a: Float64Array): string {
  const bytes = Buffer.alloc(a.length * 4)
  a.forEach((w, i) => bytes.writeFloatLE(Math.fround(w), i * 4))
  return bytes.toString('base64')
}

/** The weights a snapshot holds for one array, or undefined unless there is one finite, non-negative weight per bin. */
function decodeWeights(text: unknown): Float64Array<ArrayBuffer> | undefined {
  if (typeof text !== 'string' || text.length !== Math.ceil((BINS * 4) / 3) * 4) return undefined
  const bytes = Buffer.from(text, 'base64')
  if (bytes.length !== BINS * 4) return undefined
  const out = new Float64Array(BINS)
  for (let i = 0; i < BINS; i++) {
    const w = bytes.readFloatLE(i * 4)
    if (!(Number.isFinite(w) && w >= 0)) return undefined
    out[i] = w
  }
  return out
}

export interface SolveTimePrior {
  /** Earliest a solve is expected (real-time ms). */
  fromMs: number
  /** Latest a solve is usually ready. */
  toMs: number
}

export class SolveTimeModel {
  private readonly types = new Map<CaptchaType, TypeModel>()
  private readonly growth: number
  /** Grows with every observation (callers cache what they derive from the model per version). */
  version = 0

  constructor(
    private readonly prior: (type: CaptchaType) => SolveTimePrior,
    /** About how many recent tasks per type the model reflects. */
    window = 300,
  ) {
    this.growth = 1 + 1 / window
  }

  private model(type: CaptchaType): TypeModel {
    let m = this.types.get(type)
    if (!m) {
      m = new TypeModel(this.prior(type), this.growth)
      this.types.set(type, m)
    }
    return m
  }

  /** A task of `type` turned ready after more than `fromMs` and at most `toMs` (real-time ms since submit). */
  observe(type: CaptchaType, fromMs: number, toMs: number): void {
    if (!(Number.isFinite(fromMs) && Number.isFinite(toMs)) || toMs < 0) return
    this.model(type).observe(fromMs, toMs)
    this.version++
  }

  /**
   * A task of `type` was still waiting from `fromMs` to `toMs` (real-time ms since submit): its previous "not ready"
   * (or its submit) to this one. For a task seen ready at `toMs`, `share` 0.5: it waited about half of that interval.
   * Changes no cdf or quantile, only readyRate, which is meaningful only if every task's waiting is reported.
   */
  observeWaiting(type: CaptchaType, fromMs: number, toMs: number, share = 1): void {
    if (!(Number.isFinite(fromMs) && Number.isFinite(toMs)) || toMs <= fromMs) return
    this.model(type).observeWaiting(fromMs, toMs, share)
  }

  /** How fast (per ms) tasks of `type` still waiting at ages in [fromMs, toMs) turned ready; TypeModel.readyRate. */
  readyRate(type: CaptchaType, fromMs: number, toMs: number, minAnswers = 3): number | undefined {
    return this.types.get(type)?.readyRate(fromMs, toMs, minAnswers)
  }

  cdf(type: CaptchaType, ms: number): number {
    return this.model(type).cdf(ms)
  }

  quantile(type: CaptchaType, p: number): number {
    return this.model(type).quantile(p)
  }

  /** How many tasks of `type` have been observed (not counting the prior). */
  observed(type: CaptchaType): number {
    return this.types.get(type)?.observed ?? 0
  }

  /** What has been learned so far, per type that has seen a task (JSON-safe; `restore` takes it back). */
  snapshot(): SolveTimeSnapshot {
    const types: SolveTimeSnapshot['types'] = {}
    for (const [type, m] of this.types) if (m.observed > 0) types[type] = m.snapshot()
    return { format: 1, binMs: BIN_MS, bins: BINS, types }
  }

  /**
   * Starts from a snapshot (what an earlier process learned), checked first: it comes from storage, so anything that
   * is not a snapshot of this format (wrong shape, a weight that is not a finite number ≥ 0, more answers than a model
   * of this window can hold) changes nothing and is refused with the reason. A type this build does not know (a
   * snapshot from a newer one) is skipped and named; types the snapshot does not hold keep what they have.
   */
  restore(snapshot: unknown): { ok: true; types: number; skipped: string[] } | { ok: false; reason: string } {
    if (typeof snapshot !== 'object' || snapshot === null) return { ok: false, reason: 'not an object' }
    const s = snapshot as Partial<SolveTimeSnapshot>
    if (s.format !== 1 || s.binMs !== BIN_MS || s.bins !== BINS)
      return { ok: false, reason: 'another format (format, binMs or bins differ)' }
    if (typeof s.types !== 'object' || s.types === null) return { ok: false, reason: 'no types' }
    // What a live model holds at most, as the weights count now: every answer adds 1 and the older ones fade by
    // `growth` each time, so they sum to less than growth / (growth − 1); the prior and the floor fade too.
    const most = (this.growth / (this.growth - 1)) * (1 + 1e-3)
    const sum = (a: Float64Array): number => a.reduce((x, y) => x + y, 0)
    type Weights = Float64Array<ArrayBuffer>
    const checked: Array<{
      type: CaptchaType
      observed: number
      belief: Weights
      seen: Weights
      waiting: Weights
    }> = []
    const skipped: string[] = []
    for (const [type, t] of Object.entries(s.types)) {
      if (!(CAPTCHA_TYPES as readonly string[]).includes(type)) {
        skipped.push(type.slice(0, 40))
        continue
      }
      const v = t as Partial<Record<keyof TypeSnapshot, unknown>> | null
      const observed = v?.observed
      const belief = decodeWeights(v?.belief)
      const seen = decodeWeights(v?.seen)
      const waiting = decodeWeights(v?.waiting)
      if (typeof observed !== 'number' || !Number.isSafeInteger(observed) || observed < 0)
        return { ok: false, reason: `${type}: observed is not a whole number ≥ 0` }
      if (!belief || !seen || !waiting)
        return { ok: false, reason: `${type}: weights are not ${BINS} finite numbers ≥ 0` }
      if (sum(seen) > most || sum(belief) > most + PRIOR_WEIGHT + FLOOR_WEIGHT)
        return { ok: false, reason: `${type}: weights larger than a model of this window holds` }
      checked.push({ type: type as CaptchaType, observed, belief, seen, waiting })
    }
    for (const c of checked) this.model(c.type).restore(c.observed, c.belief, c.seen, c.waiting)
    if (checked.length > 0) this.version++
    return { ok: true, types: checked.length, skipped }
  }
}
