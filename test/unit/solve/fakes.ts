/** Test doubles for the solve service: an in-memory ledger with failure injection, a scripted provider, keys. */
import type { CaptchaRequest } from '@shared/captcha'
import type { Tenant } from '@shared/tenant'
import type { UsageLoader } from '../../../electron/engine/admission'
import {
  UpstreamTaskClashError,
  type AttemptRecord,
  type BeginAttempt,
  type Ledger,
  type SettleOutcome,
} from '../../../electron/engine/ledger/types'
import { ProviderError, type ProviderClient, type TaskOutcome } from '../../../electron/engine/provider'
import type { KeyResolver, Pricing } from '../../../electron/engine/solve'

export type FailPoint = 'begin' | 'markSubmitted' | 'settle' | 'recordRejection'

export class MemoryLedger implements Ledger {
  readonly rows = new Map<string, AttemptRecord>()
  /** Each listed call throws once (then the point is cleared). */
  readonly failOnce = new Set<FailPoint>()
  settleCalls = 0

  private fail(p: FailPoint): void {
    if (this.failOnce.delete(p)) throw new Error(`injected ${p} failure`)
  }

  async begin(a: BeginAttempt): Promise<void> {
    this.fail('begin')
    if (this.rows.has(a.attemptId)) return
    this.rows.set(a.attemptId, {
      ...a,
      upstreamTaskId: null,
      status: 'pending',
      errorCode: null,
      submittedAt: null,
      readyAt: null,
      endedAt: null,
      threadMs: 0,
      costMicros: 0,
      priceMicros: 0,
    })
  }

  commitSoon(): void {
    // in memory: every write is "committed" at once
  }

  async markSubmitted(attemptId: string, taskId: string, submittedAt: number): Promise<void> {
    this.fail('markSubmitted')
    const r = this.rows.get(attemptId)
    if (!r) throw new Error(`unknown attempt ${attemptId}`)
    if (r.upstreamTaskId === taskId) return
    if (r.status !== 'pending') throw new Error(`attempt ${attemptId} is ${r.status}`)
    for (const o of this.rows.values())
      if (o.providerAccount === r.providerAccount && o.upstreamTaskId === taskId)
        throw new UpstreamTaskClashError(`task ${taskId} recorded twice`)
    Object.assign(r, { status: 'submitted', upstreamTaskId: taskId, submittedAt })
  }

  async settle(attemptId: string, o: SettleOutcome): Promise<boolean> {
    this.settleCalls++
    this.fail('settle')
    const r = this.rows.get(attemptId)
    if (!r) throw new Error(`unknown attempt ${attemptId}`)
    if (r.status !== 'pending' && r.status !== 'submitted') return false
    if (o.status === 'solved')
      Object.assign(r, {
        status: 'solved',
        readyAt: o.readyAt,
        endedAt: o.endedAt,
        threadMs: o.threadMs,
        costMicros: o.costMicros,
        priceMicros: o.priceMicros,
      })
    else
      Object.assign(r, { status: o.status, errorCode: o.errorCode, endedAt: o.endedAt, threadMs: o.threadMs })
    return true
  }

  async recordRejection(r: Omit<BeginAttempt, 'reservedMicros'> & { errorCode: string }): Promise<void> {
    this.fail('recordRejection')
    this.rows.set(r.attemptId, {
      ...r,
      reservedMicros: 0,
      upstreamTaskId: null,
      status: 'rejected',
      submittedAt: null,
      readyAt: null,
      endedAt: r.createdAt,
      threadMs: 0,
      costMicros: 0,
      priceMicros: 0,
    })
  }

  get(id: string): AttemptRecord | undefined {
    return this.rows.get(id)
  }

  findByUpstreamTask(account: string, taskId: string): AttemptRecord | undefined {
    return [...this.rows.values()].find((r) => r.providerAccount === account && r.upstreamTaskId === taskId)
  }

  openAttempts(): AttemptRecord[] {
    return [...this.rows.values()]
      .filter((r) => r.status === 'pending' || r.status === 'submitted')
      .map((r) => ({ ...r }))
  }

  *iterate(): Iterable<AttemptRecord> {
    yield* this.rows.values()
  }

  async close(): Promise<void> {}

  /** The same contract as the SQLite ledger's admission queries. */
  loader(): UsageLoader {
    return {
      dayCount: (id, a, b) =>
        [...this.rows.values()].filter(
          (r) =>
            r.tenantId === id &&
            r.createdAt >= a &&
            r.createdAt < b &&
            (r.status === 'solved' || r.status === 'pending' || r.status === 'submitted'),
        ).length,
      monthSpend: (id, a, b) => {
        let spentMicros = 0
        let reservedMicros = 0
        for (const r of this.rows.values()) {
          if (r.tenantId !== id) continue
          if (r.status === 'solved' && r.endedAt! >= a && r.endedAt! < b) spentMicros += r.priceMicros
          if ((r.status === 'pending' || r.status === 'submitted') && r.createdAt >= a && r.createdAt < b)
            reservedMicros += r.reservedMicros
        }
        return { spentMicros, reservedMicros }
      },
    }
  }

  byStatus(status: AttemptRecord['status']): AttemptRecord[] {
    return [...this.rows.values()].filter((r) => r.status === status)
  }
}

/** What the scripted provider does with the next solve. */
export type Script =
  | { kind: 'solved'; answer?: string }
  | { kind: 'failed'; code?: string; action?: 'fail_task' | 'stop_key' }
  | { kind: 'timed_out' }
  | { kind: 'cancelled' }
  | { kind: 'submit_error'; code?: string; action?: 'retry' | 'fail_task' | 'stop_key' }
  | { kind: 'throw' }
  /** Waits for release() before finishing solved (to hold a slot). */
  | { kind: 'hold' }

export class ScriptedProvider implements ProviderClient {
  readonly profile = {} as ProviderClient['profile']
  readonly scripts: Script[] = []
  fallback: Script = { kind: 'solved' }
  submitted = 0
  private nextTask = 1000
  private held: Array<() => void> = []
  /** checkTask answers for recovery, by task id. */
  readonly checks = new Map<string, 'solved' | 'error' | 'not_ready' | 'throw'>()
  /** What waitForResult resolves with during recovery. */
  waitOutcome: 'solved' | 'failed' = 'solved'

  constructor(private readonly now: () => number = Date.now) {}

  releaseHeld(n = Infinity): number {
    let k = 0
    while (k < n && this.held.length > 0) {
      this.held.shift()!()
      k++
    }
    return k
  }

  holding(): number {
    return this.held.length
  }

  async submit(): Promise<{ taskId: string; submittedAt: number }> {
    return { taskId: String(this.nextTask++), submittedAt: this.now() }
  }

  async waitForResult(_key: string, task: { taskId: string; submittedAt: number }): Promise<TaskOutcome> {
    const t = this.now()
    return this.waitOutcome === 'solved'
      ? { status: 'solved', taskId: task.taskId, answer: 'late', submittedAt: task.submittedAt, readyAt: t }
      : {
          status: 'failed',
          taskId: task.taskId,
          code: 'ERROR_CAPTCHA_UNSOLVABLE',
          action: 'fail_task',
          submittedAt: task.submittedAt,
          endedAt: t,
        }
  }

  async solve(
    _key: string,
    _req: CaptchaRequest,
    opts: Parameters<ProviderClient['solve']>[2] = {},
  ): Promise<TaskOutcome> {
    const s = this.scripts.shift() ?? this.fallback
    await Promise.resolve()
    if (s.kind === 'submit_error')
      throw new ProviderError(s.code ?? 'ERROR_NO_SLOT_AVAILABLE', s.action ?? 'retry', 'submit failed')
    if (s.kind === 'throw') throw new TypeError('boom')
    if (opts.signal?.aborted) throw new ProviderError('CANCELLED', 'fail_task', 'Cancelled.')
    const sub = await this.submit()
    this.submitted++
    await opts.onSubmitted?.(sub)
    const t = (): number => this.now()
    switch (s.kind) {
      case 'solved':
        return {
          status: 'solved',
          taskId: sub.taskId,
          answer: s.answer ?? 'ok',
          submittedAt: sub.submittedAt,
          readyAt: t(),
        }
      case 'failed':
        return {
          status: 'failed',
          taskId: sub.taskId,
          code: s.code ?? 'ERROR_CAPTCHA_UNSOLVABLE',
          action: s.action ?? 'fail_task',
          submittedAt: sub.submittedAt,
          endedAt: t(),
        }
      case 'timed_out':
        return { status: 'timed_out', taskId: sub.taskId, submittedAt: sub.submittedAt, endedAt: t() }
      case 'cancelled':
        return { status: 'cancelled', taskId: sub.taskId, submittedAt: sub.submittedAt, endedAt: t() }
      case 'hold':
        await new Promise<void>((resolve) => {
          this.held.push(resolve)
          opts.signal?.addEventListener('abort', () => resolve(), { once: true })
        })
        if (opts.signal?.aborted)
          return { status: 'cancelled', taskId: sub.taskId, submittedAt: sub.submittedAt, endedAt: t() }
        return {
          status: 'solved',
          taskId: sub.taskId,
          answer: 'held',
          submittedAt: sub.submittedAt,
          readyAt: t(),
        }
    }
  }

  async checkTask(
    _key: string,
    taskId: string,
  ): Promise<{ ready: true; answer: string } | { ready: false } | { ready: true; error: string }> {
    const c = this.checks.get(taskId) ?? 'solved'
    if (c === 'throw') throw new ProviderError('NETWORK_ERROR', 'retry', 'unreachable')
    if (c === 'solved') return { ready: true, answer: 'recovered' }
    if (c === 'error') return { ready: true, error: 'ERROR_CAPTCHA_UNSOLVABLE' }
    return { ready: false }
  }

  async getBalance(): Promise<number> {
    return 0
  }
  async report(): Promise<void> {}
  acceptPingback(): boolean {
    return false
  }
  async close(): Promise<void> {}
}

export const staticKeys: KeyResolver = {
  resolve: (t: Tenant) => {
    if (t.keyMode === 'own' && t.notes !== 'has-key')
      throw new Error('This tenant uses its own key, and none is set.')
    return { apiKey: t.keyMode === 'own' ? 'own-key' : 'platform-key', providerAccount: `fake:${t.keyMode}` }
  },
}

/** Cost 1,000 µ for every type; price = cost + 50 % (or the unit plan's price). */
export const flatPricing: Pricing = {
  costOf: () => 1_000,
  priceOf: (t, type, cost) => (t.pricePlan.kind === 'unit' ? t.pricePlan.prices[type] : cost + cost / 2),
}
