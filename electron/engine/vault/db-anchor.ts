/** The vault's rollback anchor in the engine database (component "vault", one row per data folder). */
import type { Database } from '../db/database'
import { migrate, type Migration } from '../db/migrations'
import type { AnchorRecord, VaultAnchor } from './rollback-anchor'

const MIGRATIONS: ReadonlyArray<Migration> = [
  (db) =>
    db.exec(`CREATE TABLE vault_anchor (
      id         INTEGER PRIMARY KEY CHECK (id = 1),
      vault_id   TEXT NOT NULL,
      generation INTEGER NOT NULL CHECK (generation >= 0),
      header     TEXT NOT NULL
    ) STRICT`),
]

export function databaseVaultAnchor(db: Database): VaultAnchor {
  migrate(db, 'vault', MIGRATIONS)
  const get = db.prepare('SELECT vault_id, generation, header FROM vault_anchor WHERE id = 1')
  const put = db.prepare(
    `INSERT INTO vault_anchor (id, vault_id, generation, header) VALUES (1, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET vault_id = excluded.vault_id, generation = excluded.generation, header = excluded.header`,
  )
  return {
    name: 'engine database',
    read(): AnchorRecord | undefined {
      const r = get.get() as { vault_id: string; generation: number; header: string } | undefined
      return r && { vaultId: r.vault_id, generation: Number(r.generation), header: r.header }
    },
    write(r) {
      put.run(r.vaultId, r.generation, r.header)
    },
  }
}
