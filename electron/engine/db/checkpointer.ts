/**
 * WAL checkpoints off the main thread. With automatic checkpoints, whichever connection commits when the WAL has
 * grown past 1,000 pages copies it into the database file and fsyncs both — inside that commit, on the main thread,
 * stalling every request for tens of milliseconds. Instead the engine's connections turn automatic checkpoints off
 * and a worker thread, on its own connection at synchronous=FULL, runs a PASSIVE checkpoint every `intervalMs`: it
 * fsyncs the WAL, copies what it can without waiting for anyone, and fsyncs the database file before the WAL may be
 * rewound. A side effect worth having: every committed frame is on disk within one interval even if nothing else
 * asked for it (audit lines, task-store writes).
 *
 * The worker's code is a string (evaluated as CommonJS): no separate file for the bundler, the test runner and the
 * TypeScript loader to each resolve differently.
 */
import { Worker } from 'node:worker_threads'
import type { Database } from './database'

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { DatabaseSync } = require('node:sqlite')
const db = new DatabaseSync(workerData.path)
db.exec('PRAGMA busy_timeout = 5000')
db.exec('PRAGMA synchronous = FULL')
db.exec('PRAGMA wal_autocheckpoint = 0')
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)')
const tick = () => {
  try {
    const r = checkpoint.get()
    parentPort.postMessage({ ok: true, busy: r.busy, log: r.log, checkpointed: r.checkpointed })
  } catch (e) {
    parentPort.postMessage({ ok: false, error: String(e && e.message) })
  }
}
const timer = setInterval(tick, workerData.intervalMs)
parentPort.on('message', (m) => {
  if (m !== 'close') return
  clearInterval(timer)
  tick()
  db.close()
  parentPort.close()
})
`

export interface CheckpointReport {
  ok: boolean
  /** Pages in the WAL, and how many of them are now in the database file. */
  log?: number
  checkpointed?: number
  error?: string
}

export interface Checkpointer {
  /** A last checkpoint, then the worker ends. */
  close(): Promise<void>
}

/**
 * Turns automatic checkpoints off on `connections` (the engine's connections to `path`) and starts the worker.
 * `onReport` hears every checkpoint (for logging failures; a failure is retried at the next interval).
 */
export function startCheckpointer(
  path: string,
  connections: Database[],
  options: { intervalMs?: number; onReport?: (r: CheckpointReport) => void } = {},
): Checkpointer {
  for (const db of connections) db.exec('PRAGMA wal_autocheckpoint = 0')
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path, intervalMs: options.intervalMs ?? 1_000 },
  })
  worker.unref()
  worker.on('message', (r: CheckpointReport) => options.onReport?.(r))
  worker.on('error', (err) => {
    // Without the worker the WAL would grow for ever: give checkpoints back to the connections (SQLite's default).
    for (const db of connections) {
      try {
        db.exec('PRAGMA wal_autocheckpoint = 1000')
      } catch {
        // closed already
      }
    }
    options.onReport?.({ ok: false, error: err.message })
  })
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  return {
    async close() {
      // Unref'd while it runs (it must not keep the process alive); closing must wait for its last checkpoint.
      worker.ref()
      worker.postMessage('close')
      await exited
    },
  }
}
