/**
 * The migration runner: each component keeps an ordered list of migrations beside its code and runs it on open;
 * `schema_versions` remembers how far each component's tables are. A component never touches another's tables.
 */
import type { Database } from './database'

/** One step of a component's schema; never edited once released (add a new one instead). */
export type Migration = (db: Database) => void

/**
 * Runs the migrations of one component (ledger, audit, billing…) that the file has not seen yet, each in a transaction.
 * `onStep` hears each one that ran and how long it took (a migration that rebuilds an index on a large file is slow).
 */
export function migrate(
  db: Database,
  component: string,
  migrations: ReadonlyArray<Migration>,
  onStep?: (version: number, ms: number) => void,
): void {
  const row = db.prepare('SELECT version FROM schema_versions WHERE component = ?').get(component) as
    { version: number } | undefined
  const current = row?.version ?? 0
  if (current > migrations.length) {
    throw new Error(
      `The ${component} tables are from a newer CaptchaDesk (schema ${current}, this build knows ${migrations.length}). Update the app.`,
    )
  }
  for (let v = current; v < migrations.length; v++) {
    const started = performance.now()
    db.exec('BEGIN IMMEDIATE')
    try {
      migrations[v]!(db)
      db.prepare(
        'INSERT INTO schema_versions (component, version) VALUES (?, ?) ON CONFLICT(component) DO UPDATE SET version = excluded.version',
      ).run(component, v + 1)
      db.exec('COMMIT')
      onStep?.(v + 1, performance.now() - started)
    } catch (err) {
      db.exec('ROLLBACK')
      throw err
    }
  }
}
