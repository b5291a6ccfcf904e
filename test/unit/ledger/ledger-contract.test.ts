/** The ledger contract run against every implementation: SQLite (a real file) and in memory. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../../electron/engine/db/database'
import { MemoryLedger } from '../../../electron/engine/ledger/memory-ledger'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import { describeLedgerContract } from './ledger-contract'

describeLedgerContract('SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-contract-'))
  const db = openDatabase(join(dir, 'engine.db'))
  const clock = { t: 0 }
  const ledger = openSqliteLedger(db, { now: () => clock.t })
  return {
    ledger,
    clock,
    async close() {
      await ledger.close()
      db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
})

describeLedgerContract('in memory', () => {
  const clock = { t: 0 }
  return { ledger: new MemoryLedger(() => clock.t), clock, close: async () => undefined }
})
