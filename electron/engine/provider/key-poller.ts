/**
 * One poller per upstream key: a single loop that wakes when the earliest task is due.
 *
 * Batch profiles keep ONE cadence per key: every poll asks about all of the key's tasks that are due with one
 * res.php?action=get&ids=… per 100 tasks, and the gap to the next poll is chosen from how many tasks are expected
 * to turn ready meanwhile (PollPolicy). Single-get profiles poll each task on its own interval with a small
 * concurrency limit. Every task handed to the poller ends in exactly one outcome (solved, failed, timed_out or
 * cancelled), whatever the upstream does, and when the poller is closed.
 */
import type { CaptchaType } from '@shared/captcha'
import { classifyCode, isNotReady, looksLikeCode } from './error-codes'
import type { PollPolicy, TypeTiming } from './timing'
import { ProviderError, type ErrorAction, type ProviderLogger, type TaskOutcome } from './types'
import type { UpstreamReply } from './upstream-http'

export interface PollerContext {
  /** res.php call with this key (the key is bound in by the client and never reaches the poller). */
  get(params: Record<string, string>, signal: AbortSignal): Promise<UpstreamReply>
  batch: boolean
  policy: PollPolicy
  timing(type: CaptchaType): TypeTiming
  zeroBalanceMeansNoThreads: boolean
  speed: number
  now(): number
  /** The key has no tasks left: the client forgets this poller. */
  onIdle(): void
  /** The upstream refused the key while polling (stop_key): the client blocks it for new submits. */
  onKeyStopped?(code: string, liftsAfterMs: number | undefined): void
  logger?: ProviderLogger
  /** For jitter; defaults to Math.random. */
  random?(): number
}

interface Waiter {
  taskId: string
  type: CaptchaType
  submittedAt: number
  deadlineAt: number
  /** From when the task is polled at all (first poll; late for pingback tasks). */
  activeAt: number
  /** Earliest next poll: the first poll, the single-get interval, or an error back-off. */
  dueAt: number
  errors: number
  /** Aborts this task's own single gets (cancel, deadline). */
  readonly abort: AbortController
  readonly resolvers: Array<(outcome: TaskOutcome) => void>
  detach(): void
}

const BATCH_SIZE = 100

export class KeyPoller {
  private readonly waiters = new Map<string, Waiter>()
  private timer: NodeJS.Timeout | undefined
  private timerAt = Infinity
  private running = false
  private closed = false
  /** Batch cadence: when the next poll of the key is planned (-Infinity: poll as soon as something is due). */
  private nextPollAt = -Infinity
  private lastInterval = 0
  private readonly inflight = new AbortController()

  constructor(private readonly ctx: PollerContext) {}

  get size(): number {
    return this.waiters.size
  }

  has(taskId: string): boolean {
    return this.waiters.has(taskId)
  }

  /** With `pingback`, the upstream calls us when the task is done; polling is only the fallback, late and rare. */
  wait(
    task: { taskId: string; type: CaptchaType; submittedAt: number },
    deadlineAt: number,
    signal?: AbortSignal,
    pingback = false,
  ): Promise<TaskOutcome> {
    return new Promise<TaskOutcome>((resolve) => {
      const existing = this.waiters.get(task.taskId)
      if (existing) {
        // The same task waited on twice: both callers get the one outcome.
        existing.resolvers.push(resolve)
        return
      }
      if (this.closed || signal?.aborted) {
        resolve({
          status: 'cancelled',
          taskId: task.taskId,
          submittedAt: task.submittedAt,
          endedAt: this.ctx.now(),
        })
        return
      }
      const onAbort = (): void =>
        this.finish(task.taskId, {
          status: 'cancelled',
          taskId: task.taskId,
          submittedAt: task.submittedAt,
          endedAt: this.ctx.now(),
        })
      signal?.addEventListener('abort', onAbort, { once: true })
      const t = this.ctx.timing(task.type)
      const activeAt = task.submittedAt + this.scaled(pingback ? t.typicalMaxMs * 1.5 : t.firstPollMs)
      this.waiters.set(task.taskId, {
        ...task,
        deadlineAt,
        activeAt,
        dueAt: Math.min(activeAt, deadlineAt),
        errors: 0,
        abort: new AbortController(),
        resolvers: [resolve],
        detach: () => signal?.removeEventListener('abort', onAbort),
      })
      this.schedule()
    })
  }

  /**
   * A pingback arrived for one of our tasks: settle it now. An error code fails the task; a not-ready code is
   * ignored (polling goes on). Returns whether the task was ours and settled.
   */
  deliver(taskId: string, code: string): boolean {
    const w = this.waiters.get(taskId)
    if (!w || isNotReady(code)) return false
    const now = this.ctx.now()
    if (looksLikeCode(code)) {
      const c = classifyCode(code, this.ctx)
      this.finish(taskId, {
        status: 'failed',
        taskId,
        code,
        action: c.action === 'stop_key' ? 'stop_key' : 'fail_task',
        submittedAt: w.submittedAt,
        endedAt: now,
      })
    } else {
      this.finish(taskId, {
        status: 'solved',
        taskId,
        answer: code,
        submittedAt: w.submittedAt,
        readyAt: now,
      })
    }
    return true
  }

  /** Ends every task as cancelled and aborts whatever is on the wire. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.inflight.abort()
    this.clearTimer()
    const now = this.ctx.now()
    for (const w of [...this.waiters.values()])
      this.finish(w.taskId, {
        status: 'cancelled',
        taskId: w.taskId,
        submittedAt: w.submittedAt,
        endedAt: now,
      })
  }

  private scaled(ms: number): number {
    return ms / this.ctx.speed
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = Infinity
  }

  private finish(taskId: string, outcome: TaskOutcome): void {
    const w = this.waiters.get(taskId)
    if (!w) return
    this.waiters.delete(taskId)
    w.detach()
    w.abort.abort()
    for (const resolve of w.resolvers) resolve(outcome)
    if (this.waiters.size === 0) {
      this.clearTimer()
      this.nextPollAt = -Infinity
      this.ctx.onIdle()
    } else this.schedule()
  }

  /** When the loop must next wake: the earliest deadline, or the earliest poll the cadence allows. */
  private wakeAt(): number {
    let deadline = Infinity
    let due = Infinity
    for (const w of this.waiters.values()) {
      deadline = Math.min(deadline, w.deadlineAt)
      due = Math.min(due, w.dueAt)
    }
    if (due === Infinity) return deadline
    // Batch: a task that falls due rides with the next planned poll (or one up to half an interval early).
    const poll = this.ctx.batch ? Math.max(due - this.lastInterval / 2, this.nextPollAt) : due
    return Math.min(deadline, poll)
  }

  private schedule(): void {
    if (this.closed || this.running) return
    const next = this.wakeAt()
    if (next === Infinity) return
    if (this.timer && next >= this.timerAt) return
    this.clearTimer()
    this.timerAt = next
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

  /**
   * The gap to the next batch poll: the shortest gap in which about `targetReadyPerRequest` tasks are expected to
   * turn ready per request the poll will cost, within [minIntervalMs, the tasks' pollIntervalMs / maxIntervalMs].
   * Readiness is taken as uniform between a type's firstPollMs and typicalMaxMs (conditioned on the task not being
   * ready yet); past typicalMaxMs a task stays as likely to turn ready as in its window.
   */
  private batchInterval(now: number): number {
    const { minIntervalMs, maxIntervalMs, targetReadyPerRequest } = this.ctx.policy
    const speed = this.ctx.speed
    let cap = maxIntervalMs
    const tasks: Array<{ active: number; elapsed: number; a: number; b: number }> = []
    for (const w of this.waiters.values()) {
      const active = (w.activeAt - now) * speed
      if (active > maxIntervalMs) continue
      const t = this.ctx.timing(w.type)
      cap = Math.min(cap, t.pollIntervalMs)
      tasks.push({ active, elapsed: (now - w.submittedAt) * speed, a: t.firstPollMs, b: t.typicalMaxMs })
    }
    const floor = Math.min(minIntervalMs, cap)
    if (tasks.length === 0) return this.scaled(cap)
    const wanted = targetReadyPerRequest * Math.ceil(tasks.length / BATCH_SIZE)
    const expectedReady = (gap: number): number => {
      let sum = 0
      for (const { active, elapsed: e, a, b } of tasks) {
        if (active > gap) continue
        const window = Math.max(1_000, b - a)
        if (e < a) sum += Math.min(1, Math.max(0, e + gap - a) / window)
        else if (e < b) sum += Math.min(1, gap / Math.max(1_000, b - e))
        else sum += Math.min(1, gap / window)
      }
      return sum
    }
    if (expectedReady(floor) >= wanted) return this.scaled(floor)
    if (expectedReady(cap) < wanted) return this.scaled(cap)
    let lo = floor
    let hi = cap
    for (let i = 0; i < 16 && hi - lo > 10; i++) {
      const mid = (lo + hi) / 2
      if (expectedReady(mid) >= wanted) hi = mid
      else lo = mid
    }
    return this.scaled(hi)
  }

  private async tick(): Promise<void> {
    if (this.closed || this.running) return
    this.running = true
    try {
      const now = this.ctx.now()
      for (const w of [...this.waiters.values()]) {
        if (w.deadlineAt <= now)
          this.finish(w.taskId, {
            status: 'timed_out',
            taskId: w.taskId,
            submittedAt: w.submittedAt,
            endedAt: now,
          })
      }
      if (this.closed || this.waiters.size === 0) return
      if (this.ctx.batch) {
        // Woken for a deadline between two polls: keep the key's cadence.
        if (now < this.nextPollAt - 1) return
        const interval = this.batchInterval(now)
        const due = [...this.waiters.values()].filter((w) => w.dueAt <= now + interval / 2)
        if (due.length === 0) return
        this.lastInterval = interval
        this.nextPollAt = now + interval
        const chunks: Waiter[][] = []
        for (let i = 0; i < due.length; i += BATCH_SIZE) chunks.push(due.slice(i, i + BATCH_SIZE))
        await Promise.all(chunks.map((c) => this.pollBatch(c)))
      } else {
        const due = [...this.waiters.values()].filter((w) => w.dueAt <= now)
        // Take the task off the clock while its get is on the wire.
        for (const w of due) w.dueAt = Infinity
        await this.pollSingles(due)
      }
    } finally {
      this.running = false
      if (!this.closed) this.schedule()
    }
  }

  private async pollBatch(chunk: Waiter[]): Promise<void> {
    if (chunk.length === 1) return this.pollSingles(chunk)
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
      return this.pollSingles(chunk)
    }
    const parts = reply.request.split('|')
    if (parts.length !== chunk.length) {
      // An answer containing '|', or a short reply: the pieces cannot be matched to ids safely.
      this.ctx.logger?.warn?.('provider: batch reply does not match its ids, polling tasks one by one', {
        ids: chunk.length,
        pieces: parts.length,
      })
      return this.pollSingles(chunk)
    }
    chunk.forEach((w, i) => this.settle(w, parts[i]!, true))
  }

  private async pollSingles(tasks: Waiter[]): Promise<void> {
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < tasks.length && !this.closed) {
        const w = tasks[next++]!
        if (!this.waiters.has(w.taskId)) continue
        try {
          const reply = await this.ctx.get(
            { action: 'get', id: w.taskId },
            AbortSignal.any([this.inflight.signal, w.abort.signal]),
          )
          this.settle(w, reply.request, reply.ok)
        } catch (err) {
          this.backOff(w, err)
        }
      }
    }
    const workers = Math.min(Math.max(1, this.ctx.policy.singleGetConcurrency), tasks.length)
    await Promise.all(Array.from({ length: workers }, worker))
  }

  private notReady(w: Waiter): void {
    w.errors = 0
    const now = this.ctx.now()
    // Batch: due again at once, the key's cadence decides when. Single: the type's poll interval.
    const next = this.ctx.batch ? now : now + this.scaled(this.ctx.timing(w.type).pollIntervalMs)
    w.dueAt = Math.min(next, w.deadlineAt)
  }

  /** `ok` tells whether `text` is an answer (status 1) or a code; batch pieces are answers unless they are codes. */
  private settle(w: Waiter, text: string, ok: boolean): void {
    if (!this.waiters.has(w.taskId)) return
    const now = this.ctx.now()
    if (isNotReady(text)) return this.notReady(w)
    if (ok && !looksLikeCode(text)) {
      this.finish(w.taskId, {
        status: 'solved',
        taskId: w.taskId,
        answer: text,
        submittedAt: w.submittedAt,
        readyAt: now,
      })
      return
    }
    const c = classifyCode(text, this.ctx)
    if (c.action === 'retry') return this.backOff(w, new ProviderError(text, 'retry', c.message))
    if (c.action === 'stop_key') this.ctx.onKeyStopped?.(text, c.liftsAfterMs)
    this.finish(w.taskId, {
      status: 'failed',
      taskId: w.taskId,
      code: text,
      action: c.action as ErrorAction,
      submittedAt: w.submittedAt,
      endedAt: now,
    })
  }

  /** Transport errors and retry codes: poll the task again later (exponential, jittered, within its deadline). */
  private backOffDelay(errors: number, err: unknown): number {
    const code = err instanceof ProviderError ? err.code : 'NETWORK_ERROR'
    const base = classifyCode(code, this.ctx).backoffMs ?? 1_000
    // Transport faults get a quick first retry; slow-down codes keep their longer base.
    const first = /^(HTTP_5\d\d|NETWORK_ERROR|REQUEST_TIMEOUT|BAD_REPLY)$/.test(code) ? 1_000 : base
    const jitter = 0.75 + (this.ctx.random ?? Math.random)() * 0.5
    return this.scaled(Math.min(30_000, first * 2 ** Math.min(5, errors - 1)) * jitter)
  }

  private backOff(w: Waiter, err: unknown): void {
    if (!this.waiters.has(w.taskId) || this.closed) return
    if (err instanceof ProviderError && err.code === 'CANCELLED') return
    w.errors += 1
    w.dueAt = Math.min(this.ctx.now() + this.backOffDelay(w.errors, err), w.deadlineAt)
    if (w.errors === 3)
      this.ctx.logger?.warn?.('provider: polling a task keeps failing', {
        code: err instanceof ProviderError ? err.code : 'NETWORK_ERROR',
      })
  }

  /** One failed batch: every task in it waits the same back-off, so they stay on one cadence. */
  private backOffAll(chunk: Waiter[], err: unknown): void {
    if (this.closed || (err instanceof ProviderError && err.code === 'CANCELLED')) return
    const errors = Math.max(...chunk.map((w) => w.errors)) + 1
    const dueAt = this.ctx.now() + this.backOffDelay(errors, err)
    for (const w of chunk) {
      if (!this.waiters.has(w.taskId)) continue
      w.errors = errors
      w.dueAt = Math.min(dueAt, w.deadlineAt)
    }
  }
}
