/** Test doubles for the solve service: an in-memory ledger with failure injection, a scripted provider, keys. */
import type { CaptchaRequest } from '@shared/captcha'
import type { Tenant } from '@shared/tenant'
import { ledgerUsageLoader, type UsageLoader } from '../../../electron/engine/admission'
import { MemoryLedger as InMemoryLedger } from '../../../electron/engine/ledger/memory-ledger'
import type { AttemptRecord, BeginAttempt, SettleOutcome } from '../../../electron/engine/ledger/types'
import { ProviderError, type ProviderClient, type TaskOutcome } from '../../../electron/engine/provider'
import type { KeyResolver, Pricing } from '../../../electron/engine/solve'

export type FailPoint = 'begin' | 'markSubmitted' | 'settle'

/** The in-memory ledger with failure injection: each listed call throws once (then the point is cleared). */
export class MemoryLedger extends InMemoryLedger {
  readonly failOnce = new Set<FailPoint>()
  settleCalls = 0

  private fail(p: FailPoint): void {
    if (this.failOnce.delete(p)) throw new Error(`injected ${p} failure`)
  }

  override async begin(a: BeginAttempt): Promise<void> {
    this.fail('begin')
    return super.begin(a)
  }

  override async markSubmitted(attemptId: string, taskId: string, submittedAt: number): Promise<void> {
    this.fail('markSubmitted')
    return super.markSubmitted(attemptId, taskId, submittedAt)
  }

  override async settle(attemptId: string, o: SettleOutcome): Promise<boolean> {
    this.settleCalls++
    this.fail('settle')
    return super.settle(attemptId, o)
  }

  /** The admission loader over this ledger (the same queries the engine wires to the SQLite ledger). */
  loader(): UsageLoader {
    return ledgerUsageLoader(this)
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
  /** Learns nothing: the solve service never reads it. */
  solveTimes: ProviderClient['solveTimes'] = () => ({ format: 1, binMs: 250, bins: 2400, types: {} })
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
