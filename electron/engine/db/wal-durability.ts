/**
 * Durability without blocking the event loop. SQLite's own fsync runs inside COMMIT, on the thread that commits —
 * for the engine that is the main thread, so every durable commit stalls every request for the length of an fsync
 * (0.1 ms on a fast SSD, 5–20 ms on a laptop disk or a busy VM). Here the hot path commits at synchronous=NORMAL
 * (in WAL mode: the frames are written to the WAL file, in the OS's cache — they survive a kill of the process),
 * and durability against a power cut comes from an fsync of the WAL file on libuv's thread pool: every frame
 * written before `sync()` was called is on disk when it resolves. Checkpoints (which copy the WAL into the database
 * and must fsync both) run on a worker thread's connection at synchronous=FULL (./checkpointer.ts), so the WAL is
 * never rewound over frames that are not safely in the database file.
 *
 * Calls coalesce: while one fsync runs, later callers share the next one (an fsync covers everything written before
 * it starts, not what was written while it ran).
 */
import { close, fdatasync, open } from 'node:fs'
import { LatencySample } from '../log/latency-sample'

export interface WalDurability {
  /** Resolves when everything committed to the WAL before this call is on disk. */
  sync(): Promise<void>
  /**
   * A commit reached the WAL without asking for the disk (kill-safe only). It gets there within `maxDelayMs` (by the
   * next sync anyone asks for, or one this schedules): the window a power cut can lose.
   */
  noteUnsynced(): void
  /** How long kill-safe-only commits waited for their fsync (ms): what a power cut could have lost, measured. */
  exposure(): { syncs: number; p50Ms: number; p99Ms: number; maxMs: number }
  close(): Promise<void>
}

export function openWalDurability(
  databasePath: string,
  options: { maxDelayMs?: number; now?: () => number } = {},
): WalDurability {
  const walPath = `${databasePath}-wal`
  const maxDelayMs = options.maxDelayMs ?? 25
  const clock = options.now ?? (() => performance.now())
  /** When the oldest commit not yet covered by an fsync was written (undefined: none). */
  let unsyncedSince: number | undefined
  let timer: NodeJS.Timeout | undefined
  const waits = new LatencySample()
  let syncs = 0
  let fd: number | undefined
  let running: Promise<void> | undefined
  let next: { promise: Promise<void>; start: () => void } | undefined
  let closed = false

  const fsyncOnce = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      // fdatasync, as SQLite's own syncs on Linux: the frames and what reading them back needs (the file's size), without
      // forcing a journal commit for the modification time alone.
      const withFd = (f: number): void => fdatasync(f, (err) => (err ? reject(err) : resolve()))
      if (fd !== undefined) return withFd(fd)
      // The WAL file exists once the first commit has been written (the database is in WAL mode before anything
      // else runs); it is kept while any connection is open, so one descriptor serves the engine's whole life.
      open(walPath, 'r', (err, f) => {
        if (err) return reject(err)
        fd = f
        withFd(f)
      })
    })

  const run = (): Promise<void> => {
    const covers = unsyncedSince
    unsyncedSince = undefined
    if (timer) clearTimeout(timer)
    timer = undefined
    const p = fsyncOnce()
      .then(() => {
        syncs++
        if (covers === undefined) return
        waits.add(clock() - covers)
      })
      .finally(() => {
        running = undefined
        if (next) {
          const n = next
          next = undefined
          n.start()
        }
      })
    running = p
    return p
  }

  const sync = (): Promise<void> => {
    if (closed) return Promise.reject(new Error('the database is closed'))
    if (!running) return run()
    // One runs already: it may have started before our frames were written, so wait for the one after it.
    if (!next) {
      let start!: () => void
      const promise = new Promise<void>((resolve, reject) => {
        start = () => run().then(resolve, reject)
      })
      next = { promise, start }
    }
    return next.promise
  }

  return {
    sync,
    noteUnsynced() {
      if (closed || unsyncedSince !== undefined) return
      unsyncedSince = clock()
      timer = setTimeout(() => {
        timer = undefined
        void sync().catch(() => undefined) // a failed fsync is retried by the next one (or the checkpoint)
      }, maxDelayMs)
      timer.unref?.()
    },
    exposure: () => {
      const w = waits.summary()
      return { syncs, p50Ms: w.p50Ms, p99Ms: w.p99Ms, maxMs: w.maxMs }
    },
    async close() {
      if (unsyncedSince !== undefined && !closed) await sync().catch(() => undefined)
      closed = true
      if (timer) clearTimeout(timer)
      timer = undefined
      while (running || next) await (next?.promise ?? running)?.catch(() => undefined)
      if (fd !== undefined) await new Promise<void>((r) => close(fd!, () => r()))
      fd = undefined
    },
  }
}
