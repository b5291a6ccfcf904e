/**
 * What the provider client learned about solve times, kept in the engine database per upstream, so a restart does not
 * send polling back to the timing table: the snapshot is saved every few minutes and when the engine closes, and the
 * next client for the same upstream starts from it (solve-time-model.ts checks it before using it). A kill loses at
 * most the minutes since the last save; what was learned before stays.
 *
 * Writes go through the solve path's group commit without waiting for the disk (kill-safe; the WAL's fsync follows
 * off the event loop): losing the last save to a power cut costs only a few minutes of learning, and an fsync on the
 * event loop every few minutes would cost every request waiting behind it.
 */
import type { Database } from '../db/database'
import type { GroupCommitter } from '../db/group-commit'
import { migrate, type Migration } from '../db/migrations'
import type { SolveTimeSnapshot } from './solve-time-model'
import type { ProviderClient } from './types'

const MIGRATIONS: ReadonlyArray<Migration> = [
  (db) =>
    db.exec(`CREATE TABLE learned_solve_times (
      upstream TEXT PRIMARY KEY,
      snapshot TEXT NOT NULL,
      saved_at INTEGER NOT NULL
    ) STRICT`),
]

/** A stored snapshot larger than this is not read (one type is about 39 KB; all of them stay far below). */
const MAX_CHARS = 2_000_000

/** A stored snapshot that cannot be read at all (the model checks the ones that can). */
export class UnreadableSolveTimesError extends Error {
  override name = 'UnreadableSolveTimesError'
}

export interface LearnedSolveTimes {
  /**
   * The snapshot saved for this upstream (unchecked: the model checks it), or undefined if there is none. Throws
   * UnreadableSolveTimesError when the row is there but is not JSON of a sensible size.
   */
  load(upstream: string): unknown
  /** Queues the snapshot (kill-safe once the promise resolves); one that has not changed since is not written again. */
  save(upstream: string, snapshot: SolveTimeSnapshot): Promise<void>
}

export function openLearnedSolveTimes(
  db: Database,
  options: { commits: Pick<GroupCommitter, 'write'>; now?: () => number },
): LearnedSolveTimes {
  migrate(db, 'learned-solve-times', MIGRATIONS)
  const now = options.now ?? Date.now
  const get = db.prepare('SELECT snapshot FROM learned_solve_times WHERE upstream = ?')
  const put = db.prepare(
    `INSERT INTO learned_solve_times (upstream, snapshot, saved_at) VALUES (?, ?, ?)
     ON CONFLICT (upstream) DO UPDATE SET snapshot = excluded.snapshot, saved_at = excluded.saved_at`,
  )
  /** What is stored per upstream, as far as this process knows: an unchanged model is not written again. */
  const stored = new Map<string, string>()
  return {
    load(upstream) {
      const row = get.get(upstream) as { snapshot: string } | undefined
      if (!row) return undefined
      stored.set(upstream, row.snapshot)
      if (row.snapshot.length > MAX_CHARS)
        throw new UnreadableSolveTimesError(`the stored snapshot is ${row.snapshot.length} characters`)
      try {
        return JSON.parse(row.snapshot) as unknown
      } catch {
        throw new UnreadableSolveTimesError('the stored snapshot is not JSON')
      }
    },
    async save(upstream, snapshot) {
      const text = JSON.stringify(snapshot)
      if (stored.get(upstream) === text) return
      stored.set(upstream, text)
      try {
        await options.commits.write(() => put.run(upstream, text, now()), { durable: false })
      } catch (err) {
        stored.delete(upstream) // written by the next save
        throw err
      }
    },
  }
}

/** The engine's side of it: which client serves which upstream, what a new client starts from, saving. */
export interface SolveTimesKeeper {
  /**
   * What a new client for `upstream` starts from. The client it replaces hands over what it learned when it served the
   * same upstream (a setting other than the upstream changed; its save is only queued yet); otherwise what was saved
   * for the upstream, or undefined (none yet, or unreadable: logged, then polling starts from the timings).
   */
  startFrom(upstream: string, replaced: ProviderClient | undefined): unknown
  /** The client now serving `upstream`. */
  track(client: ProviderClient, upstream: string): void
  /** Keeps what a tracked client learned for the next client of its upstream (this run's or the next). */
  save(client: ProviderClient | undefined): void
}

export function keepSolveTimes(
  store: LearnedSolveTimes,
  warn: (message: string, error: unknown) => void,
): SolveTimesKeeper {
  const upstreams = new Map<ProviderClient, string>()
  const failed = (err: unknown): void => warn('provider: the learned solve times could not be saved', err)
  return {
    startFrom(upstream, replaced) {
      if (replaced && upstreams.get(replaced) === upstream) return replaced.solveTimes()
      try {
        return store.load(upstream)
      } catch (err) {
        warn('provider: the solve times learned before the restart could not be read; starting afresh', err)
        return undefined
      }
    },
    track(client, upstream) {
      upstreams.set(client, upstream)
    },
    save(client) {
      const upstream = client && upstreams.get(client)
      if (!client || upstream === undefined) return
      try {
        const snapshot = client.solveTimes()
        if (Object.keys(snapshot.types).length > 0) store.save(upstream, snapshot).catch(failed)
      } catch (err) {
        failed(err)
      }
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
