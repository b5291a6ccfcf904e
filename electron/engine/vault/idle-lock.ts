/** The vault's idle auto-lock: operator activity resets it; a timer (every 10 s at most) locks after `ms` idle. */
const IDLE_CHECK_MS = 10_000

export class IdleLock {
  private lastActive = 0
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly now: () => number,
    private ms: number | undefined,
    /** Called when the idle time has passed (the vault locks). */
    private readonly onIdle: () => void,
  ) {}

  /** The vault was unlocked: activity now, and the timer runs (if a limit is set). */
  start(): void {
    this.lastActive = this.now()
    if (this.ms !== undefined && this.ms > 0 && !this.timer) {
      this.timer = setInterval(() => this.check(), Math.min(IDLE_CHECK_MS, this.ms))
      this.timer.unref?.()
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
  }

  /** Changes the limit (undefined or 0: never); the timer restarts if the vault is open. */
  set(ms: number | undefined, unlocked: boolean): void {
    this.ms = ms
    this.stop()
    if (unlocked) {
      const active = this.lastActive
      this.start()
      this.lastActive = active
    }
  }

  touch(): void {
    this.lastActive = this.now()
  }

  /** Calls onIdle if idle for the limit or longer. */
  check(): void {
    if (this.ms !== undefined && this.ms > 0 && this.now() - this.lastActive >= this.ms) this.onIdle()
  }
}
