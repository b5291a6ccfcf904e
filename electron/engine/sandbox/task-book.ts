/**
 * The Sandbox's record of the tasks it accepted: per-key thread accounting, solve timing, answers.
 * A task holds one of its key's threads from submit until it is ready (solved or unsolvable). Like an upstream, it
 * forgets a task some time after it ended (its id then gets ERROR_WRONG_CAPTCHA_ID, "unknown or expired id"), and it
 * keeps at most so many ended tasks: a Sandbox left running (the app's default provider) does not grow forever.
 */
import type { CaptchaType } from '@shared/captcha'
import type { Prng } from './prng'
import type { SandboxKeyConfig, SandboxTaskRecord, SolveTimeRange } from './types'

export interface KeyAccount {
  fingerprint: string
  threads: number
  balanceMicros: number
  chargePerSolveMicros: number
  state: 'active' | 'no_threads'
}

const SANDBOX_ID_EPOCH_MS = Date.UTC(2024, 0, 1)

export class TaskBook {
  private readonly tasks = new Map<string, SandboxTaskRecord & { key: string }>()
  /** Last id handed out; ids are time-anchored so they never repeat across restarts (see newId). */
  private lastId = 0
  private readonly timers = new Set<NodeJS.Timeout>()
  /** Tasks still solving per key: the threads they hold (kept as a count, not a scan). */
  private readonly solving = new Map<string, number>()
  /** Ended tasks in the order they ended: the oldest are forgotten first. */
  private readonly ended = new Set<string>()

  constructor(
    private readonly prng: Prng,
    private readonly now: () => number,
    private readonly onReady: (task: SandboxTaskRecord) => void,
    private readonly keep: { endedMs: number; endedTasks: number },
  ) {}

  /**
   * Task ids grow with the wall clock: max(previous + 1, 100 × ms since 2024-01-01), so a restarted Sandbox never
   * reuses an id an earlier process gave out (unless that one sustained more than 100 tasks per millisecond).
   * A real upstream's ids are unique for the same reason; the ledger's unique key catches any that are not.
   */
  private newId(): string {
    const clock = (Date.now() - SANDBOX_ID_EPOCH_MS) * 100
    this.lastId = Math.max(this.lastId + 1, clock)
    return String(this.lastId)
  }

  create(
    key: string,
    account: KeyAccount,
    type: CaptchaType,
    params: Record<string, string>,
    time: SolveTimeRange,
    speed: number,
    unsolvable: boolean,
    pingback: string | null,
  ): SandboxTaskRecord {
    this.forgetOld()
    const id = this.newId()
    const submittedAt = this.now()
    const delay = Math.max(0, Math.round(this.prng.between(time.minMs, time.maxMs) / speed))
    const task = {
      id,
      key,
      keyFingerprint: account.fingerprint,
      type,
      params,
      status: 'solving' as const,
      submittedAt,
      readyAt: submittedAt + delay,
      answer: null,
      firstDeliveredAt: null,
      deliveredCount: 0,
      reports: [],
      pingback,
    }
    const answer = unsolvable ? null : this.answerFor(type, params)
    this.tasks.set(id, task)
    this.solving.set(key, (this.solving.get(key) ?? 0) + 1)
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      this.finish(id, account, answer)
    }, delay)
    this.timers.add(timer)
    return this.view(task)
  }

  private finish(id: string, account: KeyAccount, answer: string | null): void {
    const task = this.tasks.get(id)
    if (!task || task.status !== 'solving') return
    this.solving.set(task.key, (this.solving.get(task.key) ?? 1) - 1)
    task.readyAt = this.now()
    this.ended.add(id)
    if (answer === null) task.status = 'unsolvable'
    else {
      task.status = 'solved'
      task.answer = answer
      account.balanceMicros -= account.chargePerSolveMicros
    }
    this.onReady(this.view(task))
  }

  /**
   * On each new task: forgets the tasks that ended before the kept time, and the oldest ended ones beyond the kept
   * count (an idle Sandbox forgets nothing until its next task).
   */
  private forgetOld(): void {
    const before = this.now() - this.keep.endedMs
    for (const id of this.ended) {
      if (this.tasks.get(id)!.readyAt >= before && this.ended.size <= this.keep.endedTasks) break
      this.ended.delete(id)
      this.tasks.delete(id)
    }
  }

  private answerFor(type: CaptchaType, params: Record<string, string>): string {
    const hex = (n: number): string => this.prng.token(n, '0123456789abcdef')
    switch (type) {
      case 'image':
        return this.prng.token(6, 'abcdefghjkmnpqrstuvwxyz23456789')
      case 'geetest':
        return JSON.stringify({
          geetest_challenge: this.prng.token(32, '0123456789abcdef'),
          geetest_validate: this.prng.token(32, '0123456789abcdef'),
          geetest_seccode: `${this.prng.token(32, '0123456789abcdef')}_jordan`,
        })
      case 'geetest_v4':
        return JSON.stringify({
          captcha_id: params.captcha_id ?? '',
          lot_number: hex(32),
          pass_token: hex(64),
          gen_time: String(Math.floor(this.now() / 1000)),
          captcha_output: this.prng.token(120),
        })
      case 'cloudflare_challenge':
        return JSON.stringify({
          cookies: { cf_clearance: `${this.prng.token(43)}-${Math.floor(this.now() / 1000)}-0-1-${hex(8)}` },
          userAgent:
            params.userAgent ??
            'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
        })
      case 'bls': {
        // 1-based indexes of the tiles that show the number, in grid order (at least one).
        const tiles = Math.max(1, Number(params.images ?? '9'))
        const picked = Array.from({ length: tiles }, (_, i) => i + 1).filter(() => this.prng.chance(0.4))
        return JSON.stringify(picked.length ? picked : [1 + Math.floor(this.prng.next() * tiles)])
      }
      case 'turnstile':
        return `0.${this.prng.token(300)}`
      default:
        return `03AFcWeA${this.prng.token(480)}`
    }
  }

  get(id: string): (SandboxTaskRecord & { key: string }) | undefined {
    return this.tasks.get(id)
  }

  markDelivered(task: SandboxTaskRecord): void {
    const stored = this.tasks.get(task.id)
    if (!stored) return
    stored.deliveredCount += 1
    stored.firstDeliveredAt ??= this.now()
  }

  threadsInUse(key: string): number {
    return this.solving.get(key) ?? 0
  }

  list(
    filter: { key?: string; status?: SandboxTaskRecord['status']; type?: CaptchaType } = {},
  ): SandboxTaskRecord[] {
    const out: SandboxTaskRecord[] = []
    for (const t of this.tasks.values()) {
      if (filter.key !== undefined && t.key !== filter.key) continue
      if (filter.status !== undefined && t.status !== filter.status) continue
      if (filter.type !== undefined && t.type !== filter.type) continue
      out.push(this.view(t))
    }
    return out
  }

  view(task: SandboxTaskRecord & { key?: string }): SandboxTaskRecord {
    const { key: _key, ...rest } = task
    return { ...rest, params: { ...rest.params }, reports: [...rest.reports] }
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }
}

export function accountFrom(cfg: SandboxKeyConfig, fingerprint: string): KeyAccount {
  return {
    fingerprint,
    threads: cfg.threads ?? 10,
    balanceMicros: cfg.balanceMicros ?? 10_000_000,
    chargePerSolveMicros: cfg.chargePerSolveMicros ?? 0,
    state: cfg.state ?? 'active',
  }
}
