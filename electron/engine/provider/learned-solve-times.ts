/**
 * What the provider client learned about solve times, kept in the engine database per upstream, so a restart does not
 * send polling back to the timing table: the snapshot is saved every few minutes and when the engine closes, and the
 * next client for the same upstream starts from it (solve-time-model.ts checks it before using it). A kill loses at
 * most the minutes since the last save; what was learned before stays.
 */
import type { Database } from '../db/database'
import { migrate, type Migration } from '../db/migrations'
import type { SolveTimeSnapshot } from './solve-time-model'

const MIGRATIONS: ReadonlyArray<Migration> = [
  (db) =>
    db.exec(`CREATE TABLE learned_solve_times (
      upstream TEXT PRIMARY KEY,
      snapshot TEXT NOT NULL,
      saved_at INTEGER NOT NULL
    ) STRICT`),
]

/** A stored snapshot larger than this is not read (one type is about 39 KB; eight of them stay far below). */
const MAX_CHARS = 2_000_000

export interface LearnedSolveTimes {
  /** The snapshot saved for this upstream (unchecked: the model checks it), or undefined if none can be read. */
  load(upstream: string): unknown
  save(upstream: string, snapshot: SolveTimeSnapshot): void
}

export function openLearnedSolveTimes(db: Database, now: () => number = Date.now): LearnedSolveTimes {
  migrate(db, 'learned-solve-times', MIGRATIONS)
  const get = db.prepare('SELECT snapshot FROM learned_solve_times WHERE upstream = ?')
  const put = db.prepare(
    `INSERT INTO learned_solve_times (upstream, snapshot, saved_at) VALUES (?, ?, ?)
     ON CONFLICT (upstream) DO UPDATE SET snapshot = excluded.snapshot, saved_at = excluded.saved_at`,
  )
  return {
    load(upstream) {
      const row = get.get(upstream) as { snapshot: string } | undefined
      if (!row || row.snapshot.length > MAX_CHARS) return undefined
      try {
        return JSON.parse(row.snapshot) as unknown
      } catch {
        return undefined
      }
    },
    save(upstream, snapshot) {
      put.run(upstream, JSON.stringify(snapshot), now())
    },
  }
}

/**
 * Which upstream a snapshot belongs to: solve times differ by provider and by address. The Sandbox is one upstream
 * whatever port it listens on this time (its times are in real-time terms at any speed).
 */
export function upstreamOf(providerId: string, baseUrl: string): string {
  return providerId === 'sandbox' ? 'sandbox' : `${providerId}|${baseUrl.replace(/\/+$/, '')}`
}
