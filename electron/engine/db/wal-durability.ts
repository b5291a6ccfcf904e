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
import { close, fsync, open } from 'node:fs'

export interface WalDurability {
  /** Resolves when everything committed to the WAL before this call is on disk. */
  sync(): Promise<void>
  close(): Promise<void>
}

export function openWalDurability(databasePath: string): WalDurability {
  const walPath = `${databasePath}-wal`
  let fd: number | undefined
  let running: Promise<void> | undefined
  let next: { promise: Promise<void>; start: () => void } | undefined
  let closed = false

  const fsyncOnce = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const withFd = (f: number): void => fsync(f, (err) => (err ? reject(err) : resolve()))
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
    const p = fsyncOnce().finally(() => {
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

  return {
    sync() {
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
    },
    async close() {
      closed = true
      while (running || next) await (next?.promise ?? running)?.catch(() => undefined)
      if (fd !== undefined) await new Promise<void>((r) => close(fd!, () => r()))
      fd = undefined
    },
  }
}
