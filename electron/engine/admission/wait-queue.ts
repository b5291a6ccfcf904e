/**
 * Optional bounded wait in front of an AdmissionStore. A request refused only for capacity (its own concurrency cap
 * or the shared key's threads) may wait up to `waitMs` for a solve to end instead of being refused at once. Freed
 * capacity goes to waiting tenants in stride order (each grant advances a tenant's pass by 1 / shareWeight; the
 * lowest pass goes first), FIFO within a tenant, so a tenant with many waiters cannot starve one with few.
 * Waiters are served before newcomers: every release offers the freed capacity to them first.
 * The gateway uses waitMs = 0 (ERROR_NO_SLOT_AVAILABLE is the protocol's back-off); console test solves may wait.
 */
import {
  WAITABLE_LIMITS,
  type Admission,
  type AdmissionRequest,
  type AdmissionStore,
  type Refusal,
  type ReleaseOutcome,
  type Reservation,
} from './types'

interface Waiter {
  seq: number
  request: Omit<AdmissionRequest, 'now'>
  last: Refusal
  resolve: (a: Admission) => void
  timer: NodeJS.Timeout
  signal?: AbortSignal
  onAbort?: () => void
}

export interface WaitOptions {
  /** How long a capacity refusal may wait for a free slot; 0 refuses at once. */
  waitMs: number
  signal?: AbortSignal
}

export interface AdmissionQueueOptions {
  now?: () => number
  /** Beyond this many waiters a request is refused at once (bounded memory). */
  maxWaiters?: number
  /** While anyone waits, also retry this often: shares change when idle tenants age out of the active set. */
  retryEveryMs?: number
}

export class AdmissionQueue {
  private readonly byTenant = new Map<string, Waiter[]>()
  private readonly pass = new Map<string, number>()
  /** Pass of the last grant: a tenant that starts waiting again joins at this virtual time, not behind or ahead. */
  private virtualTime = 0
  private seq = 0
  private count = 0
  private retryTimer: NodeJS.Timeout | undefined
  private readonly now: () => number
  private readonly maxWaiters: number
  private readonly retryEveryMs: number

  constructor(
    readonly store: AdmissionStore,
    options: AdmissionQueueOptions = {},
  ) {
    this.now = options.now ?? Date.now
    this.maxWaiters = options.maxWaiters ?? 10_000
    this.retryEveryMs = options.retryEveryMs ?? 1_000
  }

  /** Number of requests waiting now. */
  waiting(): number {
    return this.count
  }

  /** Reserves now, or (for a capacity refusal and waitMs > 0) waits for a slot; never throws. */
  admit(request: Omit<AdmissionRequest, 'now'>, options: WaitOptions): Admission | Promise<Admission> {
    const first = this.store.reserve({ ...request, now: this.now() })
    if (first.ok) {
      // Every grant advances the tenant's pass, so one that took threads directly queues behind one that did not.
      this.noteGrant(request.tenant.id, request.tenant.shareWeight)
      return first
    }
    if (!(options.waitMs > 0) || !WAITABLE_LIMITS.has(first.limit) || options.signal?.aborted) return first
    if (this.count >= this.maxWaiters) return first
    return new Promise<Admission>((resolve) => {
      const w: Waiter = {
        seq: this.seq++,
        request,
        last: first,
        resolve,
        timer: setTimeout(
          () => this.drop(w, { ...w.last, message: `${w.last.message} (no slot freed within the wait)` }),
          options.waitMs,
        ),
      }
      w.timer.unref?.()
      if (options.signal) {
        w.signal = options.signal
        w.onAbort = () =>
          this.drop(w, {
            ok: false,
            limit: first.limit,
            message: 'Cancelled while waiting.',
            retryAfterMs: 0,
          })
        options.signal.addEventListener('abort', w.onAbort, { once: true })
      }
      const id = request.tenant.id
      let list = this.byTenant.get(id)
      if (!list) {
        list = []
        this.byTenant.set(id, list)
        this.pass.set(id, Math.max(this.pass.get(id) ?? 0, this.virtualTime))
      }
      list.push(w)
      this.count++
      this.armRetry()
    })
  }

  /** The upstream accepted the reserved solve at `at`: the rate window counts it from then on. */
  submitted(reservation: Reservation, at: number): void {
    this.store.submitted(reservation, at)
  }

  /** Releases through the store, then offers the freed capacity to waiters. */
  release(reservation: Reservation, outcome: ReleaseOutcome): void {
    this.store.release(reservation, outcome)
    this.pump()
  }

  /** Grants what can be granted now, lowest pass first. Bounded: each round removes a waiter or stops. */
  pump(): void {
    while (this.count > 0) {
      const order = [...this.byTenant.entries()].sort(
        ([a, wa], [b, wb]) => this.pass.get(a)! - this.pass.get(b)! || wa[0]!.seq - wb[0]!.seq,
      )
      let served = false
      for (const [, list] of order) {
        const w = list[0]!
        const a = this.store.reserve({ ...w.request, now: this.now() })
        if (a.ok) {
          this.noteGrant(w.request.tenant.id, w.request.tenant.shareWeight)
          this.finish(w, a)
          served = true
          break
        }
        if (WAITABLE_LIMITS.has(a.limit)) {
          w.last = a
          continue
        }
        this.finish(w, a) // the wait cannot help (rate, daily, budget, suspended): answer now
        served = true
        break
      }
      if (!served) return
    }
  }

  private noteGrant(tenantId: string, weight: number): void {
    const p = Math.max(this.pass.get(tenantId) ?? 0, this.virtualTime)
    this.virtualTime = p
    this.pass.set(tenantId, p + 1 / Math.max(1, weight))
  }

  private drop(w: Waiter, answer: Admission): void {
    if (this.remove(w)) this.settle(w, answer)
  }

  private finish(w: Waiter, answer: Admission): void {
    this.remove(w)
    this.settle(w, answer)
  }

  private remove(w: Waiter): boolean {
    const id = w.request.tenant.id
    const list = this.byTenant.get(id)
    const i = list?.indexOf(w) ?? -1
    if (!list || i < 0) return false
    list.splice(i, 1)
    if (list.length === 0) this.byTenant.delete(id)
    this.count--
    if (this.count === 0 && this.retryTimer) {
      clearInterval(this.retryTimer)
      this.retryTimer = undefined
    }
    return true
  }

  private settle(w: Waiter, answer: Admission): void {
    clearTimeout(w.timer)
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort)
    w.resolve(answer)
  }

  private armRetry(): void {
    if (this.retryTimer) return
    this.retryTimer = setInterval(() => this.pump(), this.retryEveryMs)
    this.retryTimer.unref?.()
  }

  /** Refuses every waiter now (shutdown). */
  close(): void {
    for (const list of [...this.byTenant.values()])
      for (const w of [...list])
        this.drop(w, { ...w.last, message: 'Shutting down.', retryAfterMs: w.last.retryAfterMs })
  }
}
