/**
 * One poller per upstream key: every task the key has in flight, polled until it ends.
 *
 * Upstreams with `ids=` batches (BatchSupport 'yes') get ONE cadence per key: each poll asks about all of the key's
 * due tasks with one res.php?action=get&ids=… per 100 tasks, spaced by batch-cadence.ts. Without batches, each task
 * is polled on its own, when the learned solve-time model says it has probably turned ready (single-poll-plan.ts),
 * under a request budget that grows with the tasks in flight. Whether an upstream not known for batches has them is
 * probed once, with two due tasks: only a reply with one piece per id proves it.
 * Every task handed to the poller ends in exactly one outcome (solved, failed, timed_out or cancelled), whatever the
 * upstream does, and when the poller is closed.
 */
import type { CaptchaType } from '@shared/captcha'
import { BATCH_SIZE, batchGapMs } from './batch-cadence'
import { classifyCode, isNotReady } from './error-codes'
import { PollerCore, taskSignal, type Waiter } from './poller-core'
import { nextPollAt } from './single-poll-plan'
import { ProviderError } from './types'
import type { UpstreamReply } from './upstream-http'

export type { BatchSupport, PollerContext } from './poller-core'

export class KeyPoller extends PollerCore {
  private timer: NodeJS.Timeout | undefined
  private timerAt = Infinity
  /** A batch poll is on the wire (batch mode keeps one cadence per key). */
  private running = false
  /** Batch cadence: when the next poll of the key is planned (-Infinity: poll as soon as something is due). */
  private nextPollAt = -Infinity
  private lastInterval = 0
  /** Single gets on the wire, and the request budget (a token bucket refilled with the tasks in flight). */
  private onWire = 0
  private tokens = 0
  private refilledAt = -Infinity

  protected stopTimers(): void {
    this.clearTimer()
    this.nextPollAt = -Infinity
  }

  /** First polls follow the model as it learns: an unpolled task's due time is its type's current first poll. */
  private readonly firstPoll = new Map<CaptchaType, { version: number; inFlight: number; offset: number }>()

  /** The tasks in flight rounded to a tenth of a decade, and the count it was worked out for. */
  private loadBucket = { size: -1, inFlight: 1 }

  private dueOf(w: Waiter): number {
    if (w.polls > 0 || w.errors > 0 || w.pingback || this.ctx.batch.state === 'yes') return w.dueAt
    const version = this.ctx.model.version
    // The load changes the plan: recomputed when the model learns or the tasks in flight change tenfold's tenth.
    // Worked out once per count, not per task: every scan asks this of every unpolled task.
    const size = this.waiters.size
    if (this.loadBucket.size !== size)
      this.loadBucket = { size, inFlight: 10 ** (Math.round(Math.log10(Math.max(1, size)) * 10) / 10) }
    const inFlight = this.loadBucket.inFlight
    let f = this.firstPoll.get(w.type)
    if (!f || f.version !== version || f.inFlight !== inFlight) {
      const at = nextPollAt(
        { type: w.type, polls: 0, lastNotReadyMs: 0, deadlineMs: Infinity, pingback: false, inFlight },
        this.ctx.model,
        this.ctx.policy,
        this.ctx.advice,
        this.ctx.timing(w.type),
      )
      f = { version, inFlight, offset: at / this.ctx.speed }
      this.firstPoll.set(w.type, f)
    }
    // Never later than the last moment worth a poll: at the deadline the task times out before any poll goes, and a
    // model that has come to expect times past the deadlines (an outage, a restored model) would then learn nothing
    // more and keep every task unasked.
    const last = Math.max(w.submittedAt, w.deadlineAt - this.ctx.policy.minGapMs / this.ctx.speed)
    return Math.min(w.submittedAt + f.offset, last)
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = Infinity
  }

  /** When the loop must next wake: the earliest deadline, or the earliest poll the cadence and budget allow. */
  private wakeAt(): number {
    let deadline = Infinity
    let due = Infinity
    for (const w of this.waiters.values()) {
      if (w.deadlineAt < deadline) deadline = w.deadlineAt
      if (!w.onWire) {
        const d = this.dueOf(w)
        if (d < due) due = d
      }
    }
    return this.wakeFrom(due, deadline)
  }

  /** wakeAt, given the earliest due time of a task not on the wire and the earliest deadline. */
  private wakeFrom(due: number, deadline: number): number {
    if (due === Infinity) return deadline
    if (this.ctx.batch.state === 'yes') return this.batchWake(due, deadline)
    if (this.onWire >= this.concurrency()) return deadline // a get coming back wakes the loop
    if (this.tokens < 1) due = Math.max(due, this.refilledAt + (1 - this.tokens) / this.refillPerMs())
    return Math.min(deadline, due)
  }

  /** Batch: a task that falls due rides with the next planned poll (or one up to half an interval early). */
  private batchWake(due: number, deadline: number): number {
    return Math.min(deadline, Math.max(due - this.lastInterval / 2, this.nextPollAt))
  }

  private scheduleQueued = false
  /** The planned wake-up follows the batch rules (batch support may be proved after it was planned). */
  private timerBatch = false

  /**
   * Plans the next wake-up. Coalesced: however many tasks end or replies arrive in one turn of the event loop, the
   * waiting tasks are scanned once (single mode also starts the gets that fell due meanwhile).
   */
  protected schedule(change?: Waiter | 'ended'): void {
    if (this.closed || this.scheduleQueued) return
    // Batches with a wake-up planned: a task that ended never makes it earlier, and a new one only when its own time
    // comes first, so neither needs a scan of every task (the scan was 3 % of the host's CPU at 1,000 solves/s).
    if (change !== undefined && this.timer && this.timerBatch && this.ctx.batch.state === 'yes') {
      if (change === 'ended' || this.batchWake(change.dueAt, change.deadlineAt) >= this.timerAt) return
    }
    this.scheduleQueued = true
    setImmediate(() => {
      this.scheduleQueued = false
      if (this.closed || this.waiters.size === 0) return
      if (this.ctx.batch.state !== 'yes') this.scheduleNow(this.pump(this.ctx.now()))
      else this.scheduleNow()
    })
  }

  /** `next`: when to wake, if the caller has just worked it out (pump does, in its own scan of the tasks). */
  private scheduleNow(next?: number): void {
    if (this.closed || this.running) return
    next ??= this.wakeAt()
    if (next === Infinity) return
    if (this.timer && next >= this.timerAt) return
    this.clearTimer()
    this.timerAt = next
    this.timerBatch = this.ctx.batch.state === 'yes'
    this.timer = setTimeout(
      () => {
        this.timer = undefined
        this.timerAt = Infinity
        this.tick().catch((err: unknown) =>
          this.ctx.logger?.error?.('provider poller: unexpected error', { error: String(err) }),
        )
      },
      Math.max(0, next - this.ctx.now()),
    )
  }

  private async tick(): Promise<void> {
    if (this.closed || this.running) return
    const now = this.ctx.now()
    // Only the tasks past their deadline are collected (not a copy of every task on every wake-up).
    let expired: Waiter[] | undefined
    for (const w of this.waiters.values()) if (w.deadlineAt <= now) (expired ??= []).push(w)
    for (const w of expired ?? [])
      this.finish(w.taskId, {
        status: 'timed_out',
        taskId: w.taskId,
        submittedAt: w.submittedAt,
        endedAt: now,
      })
    if (this.closed || this.waiters.size === 0) return
    if (this.ctx.batch.state === 'yes') return this.batchTick(now)
    this.scheduleNow(this.pump(now))
  }

  // ---- single gets -------------------------------------------------------------------------------------------

  private concurrency(): number {
    const p = this.ctx.policy
    return Math.max(1, p.singleGetConcurrency, Math.ceil(this.waiters.size / p.tasksPerConnection))
  }

  private refillPerMs(): number {
    return (Math.max(1, this.waiters.size) * this.ctx.policy.pollsPerTaskPerMinute * this.ctx.speed) / 60_000
  }

  /**
   * Starts the single gets that are due, as far as the wire limit and the request budget allow, and returns when the
   * loop must next wake (wakeAt), worked out in the same scan of the tasks: one pass over every task per turn, not two.
   */
  private pump(now: number): number {
    const cap = Math.max(this.ctx.policy.singleGetConcurrency, this.waiters.size)
    this.tokens = Math.min(cap, this.tokens + (now - this.refilledAt) * this.refillPerMs())
    this.refilledAt = now
    const due: Waiter[] = []
    let deadline = Infinity
    /** The earliest due time among tasks not due yet (and not on the wire). */
    let later = Infinity
    for (const w of this.waiters.values()) {
      if (w.deadlineAt < deadline) deadline = w.deadlineAt
      if (w.onWire) continue
      const d = this.dueOf(w)
      if (d <= now) {
        w.dueAt = d
        due.push(w)
      } else if (d < later) later = d
    }
    if (due.length === 0) return this.wakeFrom(later, deadline)
    due.sort((a, b) => a.dueAt - b.dueAt)
    const batch = this.ctx.batch
    let probed = false
    if (batch.state === 'unknown' && !batch.probing && this.tokens >= 1) {
      const first = due[0]!
      const partner = due[1] ?? this.probePartner(first, now)
      if (partner) {
        due.shift()
        if (due[0] === partner) due.shift()
        void this.probe(first, partner)
        probed = true
      }
    }
    const limit = this.concurrency()
    let started = 0
    for (const w of due) {
      if (this.onWire >= limit || this.tokens < 1) break
      this.singleGet(w)
      started++
    }
    // A probe may have taken a task that was not due yet: scan again (once per upstream). Otherwise the due tasks left
    // behind by the wire limit or the budget are the earliest due (sorted), and the rest were counted in the scan.
    if (probed) return this.wakeAt()
    return this.wakeFrom(started < due.length ? due[started]!.dueAt : later, deadline)
  }

  /**
   * A second task to ride along with a due one in the ids= probe: the one due soonest among those the provider's
   * advice already allows polling (its first-poll floor has passed). Asking about it a little early costs nothing:
   * the probe is one request either way.
   */
  private probePartner(first: Waiter, now: number): Waiter | undefined {
    let best: Waiter | undefined
    let bestDue = Infinity
    for (const w of this.waiters.values()) {
      if (w === first || w.onWire || w.polls >= this.ctx.advice.maxPollsPerTask) continue
      if ((now - w.submittedAt) * this.ctx.speed < this.ctx.advice.firstPollMinMs[w.type]) continue
      const d = this.dueOf(w)
      if (d < bestDue) {
        bestDue = d
        best = w
      }
    }
    return best
  }

  private singleGet(w: Waiter): void {
    w.onWire = true
    w.polls++
    this.onWire++
    this.tokens -= 1
    // The task's own signal: aborted when it ends, and close() ends every task.
    this.ctx
      .get({ action: 'get', id: w.taskId }, taskSignal(w))
      .then(
        (reply) => this.settle(w, reply.request, reply.ok),
        (err: unknown) => this.backOff(w, err),
      )
      .finally(() => {
        w.onWire = false
        this.onWire--
        this.schedule()
      })
  }

  /** One ids= call with two due tasks: proves (one piece per id) or disproves batch support, once per upstream. */
  private async probe(a: Waiter, b: Waiter): Promise<void> {
    const batch = this.ctx.batch
    batch.probing = true
    for (const w of [a, b]) {
      w.onWire = true
      w.polls++
    }
    this.onWire++
    this.tokens -= 1
    let reply: UpstreamReply | undefined
    let error: unknown
    try {
      reply = await this.ctx.get({ action: 'get', ids: `${a.taskId},${b.taskId}` }, this.inflight.signal)
    } catch (err) {
      error = err
    }
    batch.probing = false
    a.onWire = b.onWire = false
    this.onWire--
    const now = this.ctx.now()
    const inconclusive = (): void => {
      batch.inconclusive++
      if (batch.inconclusive >= 3) batch.state = 'no'
    }
    if (!reply) {
      inconclusive()
      for (const w of [a, b]) this.backOff(w, error)
    } else if (reply.ok && reply.request.split('|').length === 2) {
      batch.state = 'yes'
      this.ctx.logger?.info?.('provider: the upstream answers ids= batches; polling in batches from now on')
      const [pa, pb] = reply.request.split('|') as [string, string]
      this.settle(a, pa, true)
      this.settle(b, pb, true)
      for (const w of this.waiters.values()) w.dueAt = Math.min(w.dueAt, Math.max(now, w.activeAt))
    } else {
      const c = reply.ok ? undefined : classifyCode(reply.request, this.ctx)
      if (c?.action === 'stop_key') {
        for (const w of [a, b]) this.settle(w, reply.request, false)
      } else {
        if (c?.action === 'retry' || (!reply.ok && isNotReady(reply.request))) inconclusive()
        else batch.state = 'no'
        // The probe told nothing about these two tasks: ask about each alone right away.
        for (const w of [a, b]) w.dueAt = Math.min(now, w.deadlineAt)
      }
    }
    this.schedule()
  }

  // ---- batches -----------------------------------------------------------------------------------------------

  private async batchTick(now: number): Promise<void> {
    // Woken for a deadline between two polls: keep the key's cadence.
    if (now < this.nextPollAt - 1) return this.scheduleNow()
    const speed = this.ctx.speed
    const waiting = [...this.waiters.values()].filter((w) => w.polls < this.ctx.advice.maxPollsPerTask)
    const interval = this.scaled(
      batchGapMs(
        waiting.map((w) => ({
          type: w.type,
          activeInMs: (w.activeAt - now) * speed,
          elapsedMs: (now - w.submittedAt) * speed,
        })),
        this.ctx.policy,
        this.ctx.timing,
      ),
    )
    const due = waiting.filter((w) => !w.onWire && w.dueAt <= now + interval / 2)
    if (due.length === 0) return this.scheduleNow()
    this.lastInterval = interval
    this.nextPollAt = now + interval
    this.running = true
    try {
      const chunks: Waiter[][] = []
      for (let i = 0; i < due.length; i += BATCH_SIZE) chunks.push(due.slice(i, i + BATCH_SIZE))
      await Promise.all(chunks.map((c) => this.pollBatch(c)))
    } finally {
      this.running = false
      if (!this.closed) this.schedule()
    }
  }

  private async pollBatch(chunk: Waiter[]): Promise<void> {
    if (chunk.length === 1) return this.pollOneInBatchMode(chunk[0]!)
    for (const w of chunk) w.polls++
    let reply: UpstreamReply
    try {
      reply = await this.ctx.get(
        { action: 'get', ids: chunk.map((w) => w.taskId).join(',') },
        this.inflight.signal,
      )
    } catch (err) {
      this.backOffAll(chunk, err)
      return
    }
    if (!reply.ok) {
      if (isNotReady(reply.request)) {
        for (const w of chunk) this.notReady(w)
        return
      }
      const c = classifyCode(reply.request, this.ctx)
      if (c.action === 'stop_key') {
        for (const w of chunk) this.settle(w, reply.request, false)
        return
      }
      if (c.action === 'retry') {
        this.backOffAll(chunk, new ProviderError(reply.request, 'retry', c.message))
        return
      }
      // A task-level code for the whole batch (one bad id?): ask about each task alone.
      this.ctx.logger?.warn?.('provider: batch get refused, polling tasks one by one', {
        code: reply.request,
      })
      return this.pollEachInBatchMode(chunk)
    }
    const parts = reply.request.split('|')
    if (parts.length !== chunk.length) {
      // An answer containing '|', or a short reply: the pieces cannot be matched to ids safely.
      this.ctx.logger?.warn?.('provider: batch reply does not match its ids, polling tasks one by one', {
        ids: chunk.length,
        pieces: parts.length,
      })
      return this.pollEachInBatchMode(chunk)
    }
    chunk.forEach((w, i) => this.settle(w, parts[i]!, true))
  }

  private async pollEachInBatchMode(chunk: Waiter[]): Promise<void> {
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < chunk.length && !this.closed) await this.pollOneInBatchMode(chunk[next++]!)
    }
    const workers = Math.min(chunk.length, Math.max(1, this.ctx.policy.singleGetConcurrency))
    await Promise.all(Array.from({ length: workers }, worker))
  }

  private async pollOneInBatchMode(w: Waiter): Promise<void> {
    if (!this.waiters.has(w.taskId) || this.closed) return
    w.polls++
    try {
      // The task's own signal: aborted when it ends, and close() ends every task (no AbortSignal.any per get).
      const reply = await this.ctx.get({ action: 'get', id: w.taskId }, taskSignal(w))
      this.settle(w, reply.request, reply.ok)
    } catch (err) {
      this.backOff(w, err)
    }
  }
}
