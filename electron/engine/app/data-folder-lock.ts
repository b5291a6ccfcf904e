/**
 * One engine per data folder. A second engine on the same folder — `npm run serve` started twice, or the host and
 * `npm start` both on the demo folder — took the first one's solves in flight for ones a killed process had left open
 * and settled them from the upstream at its start-up (recovery), swept its half-written exports, and wrote the same
 * log, settings and vault files. Now the second refuses to start and says why.
 *
 * The lock is SQLite's exclusive lock on `engine.lock` (an OS file lock on every platform), held for the engine's
 * life: the system releases it when the process ends however it ends — kill -9, a crash, a power cut — so it never
 * goes stale and a restart needs nobody. It is taken before the engine touches anything else in the folder. The
 * holder's process id is written beside it (`engine.pid`) only to name it in the message. `npm run export` does not
 * take it: it reads and locks invoices alongside a running engine, as designed.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

export class DataFolderInUseError extends Error {
  override name = 'DataFolderInUseError'
}

export interface DataFolderLock {
  release(): void
}

export function lockDataFolder(dir: string): DataFolderLock {
  const path = join(dir, 'engine.lock')
  const pidFile = join(dir, 'engine.pid')
  const db = new DatabaseSync(path)
  try {
    // No journal file; the lock is kept after the transaction starts and until the connection closes.
    db.exec('PRAGMA journal_mode = MEMORY')
    db.exec('PRAGMA locking_mode = EXCLUSIVE')
    db.exec('BEGIN EXCLUSIVE')
  } catch (err) {
    db.close()
    if ((err as { errcode?: number }).errcode !== 5 /* SQLITE_BUSY */) throw err
    let holder = ''
    try {
      const pid = readFileSync(pidFile, 'utf8').trim()
      if (/^\d{1,10}$/.test(pid)) holder = ` (process ${pid})`
    } catch {
      // no pid written (yet): the message goes without it
    }
    throw new DataFolderInUseError(
      `Another CaptchaDesk engine is running on the data folder ${dir}${holder}. Stop it first: two engines on ` +
        'one folder would settle each other’s solves.',
    )
  }
  try {
    writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 })
  } catch {
    // only the message uses it: the lock holds without it
  }
  return { release: () => db.close() }
}
