/**
 * At most `max` upstream calls on the wire at once per client; the rest wait in order. Keeps the connection pool
 * small and warm: a burst of a thousand calls would otherwise open a thousand sockets at once, overflow the
 * upstream's accept queue and wait out TCP's SYN retransmits (1 s, 3 s, 7 s…), then close them again when idle.
 * Polls go first: a poll waiting behind a queue of submits delays an answer that is already there (and tokens expire),
 * while a submit's clock only starts when the upstream has it.
 */
type Priority = 'poll' | 'other'
interface Entry {
  go: () => void
  onAbort?: () => void
}

export class RequestLimiter {
  private active = 0
  private readonly queues: Record<Priority, Entry[]> = { poll: [], other: [] }

  constructor(readonly max: number) {
    if (!(Number.isInteger(max) && max >= 1))
      throw new RangeError('maxConcurrentRequests must be a whole number ≥ 1')
  }

  /** Resolves when a slot is free (call release() after); rejects with the signal's reason if it aborts first. */
  acquire(signal?: AbortSignal, priority: Priority = 'other'): Promise<void> {
    if (this.active < this.max) {
      this.active++
      return Promise.resolve()
    }
    const queue = this.queues[priority]
    return new Promise<void>((resolve, reject) => {
      const entry: Entry = {
        go: () => {
          if (entry.onAbort) signal?.removeEventListener('abort', entry.onAbort)
          this.active++
          resolve()
        },
      }
      if (signal) {
        entry.onAbort = () => {
          const i = queue.indexOf(entry)
          if (i >= 0) queue.splice(i, 1)
          reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
        }
        signal.addEventListener('abort', entry.onAbort, { once: true })
      }
      queue.push(entry)
    })
  }

  release(): void {
    this.active--
    const next = this.queues.poll.shift() ?? this.queues.other.shift()
    if (next) next.go()
  }
}
