/**
 * One poller per upstream key: a single loop that wakes when the earliest task is due and asks about every due
 * task at once — one res.php?action=get&ids=… per 100 tasks where the profile supports batches, single gets
 * otherwise. Every task it is given ends in exactly one outcome (solved, failed, timed_out or cancelled).
 */
import type { CaptchaType } from '@shared/captcha'
import { classifyCode, isNotReady } from './error-codes'
import type { PollPolicy, TypeTiming } from './timing'
import { ProviderError, type ErrorAction, type TaskOutcome } from './types'
import type { UpstreamReply } from './upstream-http'

export interface PollerContext {
  /** res.php call with this key (the key is bound in by the client). */
  get(params: Record<string, string>, signal: AbortSignal): Promise<UpstreamReply>
  batch: boolean
  policy: PollPolicy
  timing(type: CaptchaType): TypeTiming
  zeroBalanceMeansNoThreads: boolean
  speed: number
  now(): number
  onIdle(): void
}

interface Waiter {
  taskId: string
  type: CaptchaType
  submittedAt: number
  dueAt: number
  deadlineAt: number
  errors: number
  resolve(outcome: TaskOutcome): void
  detach(): void
}

const BATCH_SIZE = 100
const SINGLE_GET_CONCURRENCY = 8

export class KeyPoller {
  private readonly waiters = new Map<string, Waiter>()
  private timer: NodeJS.Timeout | undefined
  private timerAt = Infinity
  private running = false
  private closed = false
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
      if (this.closed || signal?.aborted) {
        resolve({
          status: 'cancelled',
          taskId: task.taskId,
          submittedAt: task.submittedAt,
          endedAt: this.ctx.now(),
        })
        return
      }
      const existing = this.waiters.get(task.taskId)
      if (existing) {
        // The same task waited on twice: both callers get the one outcome.
        const prev = existing.resolve
        existing.resolve = (o) => {
          prev(o)
          resolve(o)
        }
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
      const first = task.submittedAt + this.scaled(pingback ? t.typicalMaxMs * 1.5 : t.firstPollMs)
      this.waiters.set(task.taskId, {
        ...task,
        dueAt: Math.min(first, deadlineAt),
        deadlineAt,
        errors: 0,
        resolve,
        detach: () => signal?.removeEventListener('abort', onAbort),
      })
      this.schedule()
    })
  }

  /** A pingback arrived for one of our tasks: settle it now. */
  deliver(taskId: string, code: string): boolean {
    const w = this.waiters.get(taskId)
    if (!w) return false
    this.settleFromAnswer(w, code, true)
    return true
  }

  close(): void {
    this.closed = true
    this.inflight.abort()
    if (this.timer) clearTimeout(this.timer)
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

  private finish(taskId: string, outcome: TaskOutcome): void {
    const w = this.waiters.get(taskId)
    if (!w) return
    this.waiters.delete(taskId)
    w.detach()
    w.resolve(outcome)
    if (this.waiters.size === 0) {
      if (this.timer) clearTimeout(this.timer)
      this.timer = undefined
      this.timerAt = Infinity
      this.ctx.onIdle()
    } else this.schedule()
  }

  private schedule(): void {
    if (this.closed || this.running) return
    let next = Infinity
    for (const w of this.waiters.values()) next = Math.min(next, w.dueAt, w.deadlineAt)
    if (next === Infinity) return
    if (this.timer && next >= this.timerAt) return
    if (this.timer) clearTimeout(this.timer)
    this.timerAt = next
    this.timer = setTimeout(
      () => {
        this.timer = undefined
        this.timerAt = Infinity
        void this.tick()
      },
      Math.max(0, next - this.ctx.now()),
    )
  }

  /** Requests per poll are shared, so poll often when many tasks are turning ready and rarely when few are. */
  private nextInterval(now: number): number {
    const { minIntervalMs, maxIntervalMs, targetReadyPerPoll } = this.ctx.policy
    let ratePerMs = 0
    for (const w of this.waiters.values()) {
      const t = this.ctx.timing(w.type)
      const elapsed = (now - w.submittedAt) * this.ctx.speed
      if (elapsed + maxIntervalMs < t.firstPollMs) continue
      ratePerMs += 1 / Math.max(1_000, t.typicalMaxMs - t.firstPollMs)
    }
    const ideal = ratePerMs > 0 ? targetReadyPerPoll / ratePerMs : maxIntervalMs
    return this.scaled(Math.min(maxIntervalMs, Math.max(minIntervalMs, ideal)))
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
      // A batch costs one request however many ids it carries: tasks due within half an interval ride along,
      // which keeps every in-flight task of the key on one cadence.
      const interval = this.nextInterval(now)
      const horizon = now + (this.ctx.batch ? interval / 2 : this.scaled(this.ctx.policy.minIntervalMs) / 2)
      const due = [...this.waiters.values()].filter((w) => w.dueAt <= horizon)
      if (due.length > 0) {
        if (this.ctx.batch) {
          const chunks: Waiter[][] = []
          for (let i = 0; i < due.length; i += BATCH_SIZE) chunks.push(due.slice(i, i + BATCH_SIZE))
          await Promise.all(chunks.map((c) => this.pollBatch(c, interval)))
        } else {
          await this.pollSingles(due, interval)
        }
      }
    } finally {
      this.running = false
      if (!this.closed) this.schedule()
    }
  }

  private async pollBatch(chunk: Waiter[], interval: number): Promise<void> {
    if (chunk.length === 1) return this.pollSingles(chunk, interval)
    let reply: UpstreamReply
    try {
      reply = await this.ctx.get(
        { action: 'get', ids: chunk.map((w) => w.taskId).join(',') },
        this.inflight.signal,
      )
    } catch (err) {
      for (const w of chunk) this.backOff(w, err)
      return
    }
    const parts = reply.request.split('|')
    if (!reply.ok || parts.length !== chunk.length) {
      // A key-level error applies to every task; anything else (a count mismatch, an answer with '|') falls back.
      const c = reply.ok ? undefined : classifyCode(reply.request, this.ctx)
      if (c?.action === 'stop_key') {
        for (const w of chunk) this.settleFromAnswer(w, reply.request, false)
        return
      }
      return this.pollSingles(chunk, interval)
    }
    chunk.forEach((w, i) => this.settleFromAnswer(w, parts[i]!, true, interval))
  }

  private async pollSingles(tasks: Waiter[], interval: number): Promise<void> {
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < tasks.length) {
        const w = tasks[next++]!
        if (!this.waiters.has(w.taskId)) continue
        try {
          const reply = await this.ctx.get({ action: 'get', id: w.taskId }, this.inflight.signal)
          this.settleFromAnswer(w, reply.request, reply.ok, interval)
        } catch (err) {
          this.backOff(w, err)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(SINGLE_GET_CONCURRENCY, tasks.length) }, worker))
  }

  /** `ok` tells whether `text` is an answer (status 1) or a code; batch slots are answers unless they look like codes. */
  private settleFromAnswer(w: Waiter, text: string, ok: boolean, interval?: number): void {
    if (!this.waiters.has(w.taskId)) return
    const now = this.ctx.now()
    if (isNotReady(text)) {
      w.errors = 0
      w.dueAt = Math.min(now + (interval ?? this.nextInterval(now)), w.deadlineAt)
      return
    }
    const looksLikeCode = /^(ERROR_[A-Z_]+|IP_BANNED|MAX_USER_TURN)$/.test(text)
    if (ok && !looksLikeCode) {
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
    if (c.action === 'retry') {
      this.backOff(w, new ProviderError(text, 'retry', c.message))
      return
    }
    this.finish(w.taskId, {
      status: 'failed',
      taskId: w.taskId,
      code: text,
      action: c.action as ErrorAction,
      submittedAt: w.submittedAt,
      endedAt: now,
    })
  }

  private backOff(w: Waiter, err: unknown): void {
    if (!this.waiters.has(w.taskId) || this.closed) return
    if (err instanceof ProviderError && err.code === 'CANCELLED') return
    w.errors += 1
    const base = err instanceof ProviderError && err.code === 'HTTP_429' ? 10_000 : 1_000
    const delay = this.scaled(Math.min(30_000, base * 2 ** Math.min(5, w.errors - 1)))
    w.dueAt = Math.min(this.ctx.now() + delay, w.deadlineAt)
  }
}
