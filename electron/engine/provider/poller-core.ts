/**
 * The part of a key's poller that does not depend on how polls are paced: the tasks waiting, and what a reply, a
 * pingback, an error or the end of the poller does to them. key-poller.ts decides when to ask (batches or single
 * gets). Every task handed in ends in exactly one outcome (solved, failed, timed_out or cancelled).
 */
import type { CaptchaType } from '@shared/captcha'
import { classifyCode, isNotReady, looksLikeCode, sanitizeUpstreamCode } from './error-codes'
import { nextPollAt } from './single-poll-plan'
import type { SolveTimeModel } from './solve-time-model'
import type { PollAdvice, PollPolicy, TypeTiming } from './timing'
import { ProviderError, type ErrorAction, type ProviderLogger, type TaskOutcome } from './types'
import type { UpstreamReply } from './upstream-http'

/** Whether the upstream answers ids= batches; shared by all of a client's pollers. */
export interface BatchSupport {
  state: 'yes' | 'no' | 'unknown'
  probing: boolean
  /** Probes that proved nothing either way (transport trouble, slow-down codes); after 3 it counts as 'no'. */
  inconclusive: number
}

export interface PollerContext {
  /** res.php call with this key (the key is bound in by the client and never reaches the poller). */
  get(params: Record<string, string>, signal: AbortSignal): Promise<UpstreamReply>
  batch: BatchSupport
  policy: PollPolicy
  advice: PollAdvice
  model: SolveTimeModel
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

export interface Waiter {
  taskId: string
  type: CaptchaType
  submittedAt: number
  deadlineAt: number
  pingback: boolean
  /** res.php gets that asked about this task (a batch counts once per task in it). */
  polls: number
  /** When the last "not ready" came (submittedAt before the first poll). */
  lastNotReadyAt: number
  /** From when the task is polled at all (batch cadence). */
  activeAt: number
  /** Earliest next poll: planned, or an error back-off. */
  dueAt: number
  /** A single get about this task is on the wire. */
  onWire: boolean
  errors: number
  /** Aborts this task's own single gets (cancel, deadline); made on first use (aborting one costs a DOMException). */
  abort?: AbortController
  readonly resolvers: Array<(outcome: TaskOutcome) => void>
  /** The caller's signal, if it gave one: the task ends cancelled when it aborts (PollerCore.follow). */
  signal: AbortSignal | undefined
}

/** The signal for a get about this one task: aborted when the task ends. */
export function taskSignal(w: Waiter): AbortSignal {
  w.abort ??= new AbortController()
  return w.abort.signal
}

export abstract class PollerCore {
  protected readonly waiters = new Map<string, Waiter>()
  /**
   * The tasks waiting with each caller's signal, and the one listener that cancels them all. Callers share signals
   * (the solve service's shutdown signal is every gateway task's): a listener per task would cost a closure and a
   * listener record per task in flight, and Node's EventTarget walks all of a signal's listeners on every add.
   */
  private readonly bySignal = new Map<AbortSignal, { tasks: Set<string>; onAbort: () => void }>()
  protected closed = false
  protected readonly inflight = new AbortController()

  /** Plans the next wake-up after a change: the task just added, `'ended'` (a task ended), or anything else. */
  protected abstract schedule(change?: Waiter | 'ended'): void
  /** The last task ended, or the poller closes: stop timers and forget the cadence. */
  protected abstract stopTimers(): void

  constructor(protected readonly ctx: PollerContext) {}

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
      if (this.closed || signal?.aborted)
        return resolve({
          status: 'cancelled',
          taskId: task.taskId,
          submittedAt: task.submittedAt,
          endedAt: this.ctx.now(),
        })
      const t = this.ctx.timing(task.type)
      const floor = this.ctx.advice.firstPollMinMs[task.type]
      const activeAt =
        task.submittedAt + this.scaled(Math.max(floor, pingback ? t.typicalMaxMs * 1.5 : t.firstPollMs))
      const w: Waiter = {
        ...task,
        deadlineAt,
        pingback,
        polls: 0,
        lastNotReadyAt: task.submittedAt,
        activeAt,
        dueAt: 0,
        onWire: false,
        errors: 0,
        resolvers: [resolve],
        signal,
      }
      w.dueAt = this.ctx.batch.state === 'yes' ? Math.min(activeAt, deadlineAt) : this.plannedDue(w)
      this.waiters.set(task.taskId, w)
      if (signal) this.follow(signal, task.taskId)
      this.schedule(w)
    })
  }

  /** Ends the task as cancelled when `signal` aborts: one listener per signal, however many tasks share it. */
  private follow(signal: AbortSignal, taskId: string): void {
    const group = this.bySignal.get(signal)
    if (group) {
      group.tasks.add(taskId)
      return
    }
    const tasks = new Set([taskId])
    const onAbort = (): void => {
      this.bySignal.delete(signal)
      const now = this.ctx.now()
      // The group is gone from bySignal, so finish() leaves `tasks` as it is while this walks it.
      for (const id of tasks) {
        const w = this.waiters.get(id)
        if (w) this.finish(id, { status: 'cancelled', taskId: id, submittedAt: w.submittedAt, endedAt: now })
      }
    }
    this.bySignal.set(signal, { tasks, onAbort })
    signal.addEventListener('abort', onAbort, { once: true })
  }

  private unfollow(signal: AbortSignal, taskId: string): void {
    const group = this.bySignal.get(signal)
    if (!group) return
    group.tasks.delete(taskId)
    if (group.tasks.size > 0) return
    this.bySignal.delete(signal)
    signal.removeEventListener('abort', group.onAbort)
  }

  /**
   * A pingback arrived for one of our tasks: settle it now. An error code fails the task; a not-ready code is
   * ignored (polling goes on). Returns whether the task was ours and settled.
   */
  deliver(taskId: string, text: string): boolean {
    const w = this.waiters.get(taskId)
    if (!w || isNotReady(text)) return false
    // A code (possibly with text the upstream appended) is reduced to a known code before it goes anywhere.
    const code = looksLikeCode(text) ? sanitizeUpstreamCode(text) : text
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
      const speed = this.ctx.speed
      const at = (now - w.submittedAt) * speed
      this.ctx.model.observe(w.type, at, at)
      // A pingback gives the exact moment: the task waited all of the time since its last "not ready".
      this.waited(w, (w.lastNotReadyAt - w.submittedAt) * speed, at)
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
    this.stopTimers()
    const now = this.ctx.now()
    for (const w of [...this.waiters.values()])
      this.finish(w.taskId, {
        status: 'cancelled',
        taskId: w.taskId,
        submittedAt: w.submittedAt,
        endedAt: now,
      })
  }

  protected scaled(ms: number): number {
    return ms / this.ctx.speed
  }

  /** Single mode: when the plan (learned solve times, advice) puts the task's next poll, within its deadline. */
  protected plannedDue(w: Waiter): number {
    const speed = this.ctx.speed
    const at = nextPollAt(
      {
        type: w.type,
        polls: w.polls,
        lastNotReadyMs: (w.lastNotReadyAt - w.submittedAt) * speed,
        deadlineMs: (w.deadlineAt - w.submittedAt) * speed,
        pingback: w.pingback,
        inFlight: this.waiters.size,
      },
      this.ctx.model,
      this.ctx.policy,
      this.ctx.advice,
      this.ctx.timing(w.type),
    )
    return at === Infinity ? Infinity : Math.min(w.submittedAt + at / speed, w.deadlineAt)
  }

  protected finish(taskId: string, outcome: TaskOutcome): void {
    const w = this.waiters.get(taskId)
    if (!w) return
    this.waiters.delete(taskId)
    if (w.signal) this.unfollow(w.signal, taskId)
    w.abort?.abort()
    for (const resolve of w.resolvers) resolve(outcome)
    if (this.waiters.size === 0) {
      this.stopTimers()
      this.ctx.onIdle()
    } else this.schedule('ended')
  }

  // ---- outcomes ----------------------------------------------------------------------------------------------

  /**
   * Tells the model how long the task was still waiting (real-time ms since submit; `share` of that span), for the
   * ready rate single gets are planned by. Batches plan no task from the model, so they skip it.
   */
  private waited(w: Waiter, fromMs: number, toMs: number, share = 1): void {
    if (this.ctx.batch.state !== 'yes') this.ctx.model.observeWaiting(w.type, fromMs, toMs, share)
  }

  protected notReady(w: Waiter): void {
    w.errors = 0
    const now = this.ctx.now()
    const speed = this.ctx.speed
    this.waited(w, (w.lastNotReadyAt - w.submittedAt) * speed, (now - w.submittedAt) * speed)
    w.lastNotReadyAt = now
    // Batch: due again at once, the key's cadence decides when. Single: where the plan puts the next poll.
    w.dueAt = this.ctx.batch.state === 'yes' ? Math.min(now, w.deadlineAt) : this.plannedDue(w)
  }

  /** `ok` tells whether `text` is an answer (status 1) or a code; batch pieces are answers unless they are codes. */
  protected settle(w: Waiter, piece: string, ok: boolean): void {
    if (!this.waiters.has(w.taskId)) return
    const now = this.ctx.now()
    if (isNotReady(piece)) return this.notReady(w)
    // A code (possibly with text an upstream appended) is reduced to a known code before it goes anywhere.
    const text = looksLikeCode(piece) ? sanitizeUpstreamCode(piece) : piece
    if (ok && !looksLikeCode(text)) {
      const speed = this.ctx.speed
      const from = (w.lastNotReadyAt - w.submittedAt) * speed
      const to = (now - w.submittedAt) * speed
      this.ctx.model.observe(w.type, from, to)
      // It turned ready somewhere in the interval: it waited about half of it.
      this.waited(w, from, to, 0.5)
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
  protected backOffDelay(errors: number, err: unknown): number {
    const code = err instanceof ProviderError ? err.code : 'NETWORK_ERROR'
    const base = classifyCode(code, this.ctx).backoffMs ?? 1_000
    // Transport faults get a quick first retry; slow-down codes keep their longer base.
    const first = /^(HTTP_5\d\d|NETWORK_ERROR|REQUEST_TIMEOUT|BAD_REPLY)$/.test(code) ? 1_000 : base
    const jitter = 0.75 + (this.ctx.random ?? Math.random)() * 0.5
    return this.scaled(Math.min(30_000, first * 2 ** Math.min(5, errors - 1)) * jitter)
  }

  protected backOff(w: Waiter, err: unknown): void {
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
  protected backOffAll(chunk: Waiter[], err: unknown): void {
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
