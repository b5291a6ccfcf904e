/** The admission store contract over each ledger storage: SQLite (a real file) and in memory. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAdmissionController, ledgerUsageLoader } from '../../../electron/engine/admission'
import { openDatabase } from '../../../electron/engine/db/database'
import { MemoryLedger } from '../../../electron/engine/ledger/memory-ledger'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import type { Ledger } from '../../../electron/engine/ledger/types'
import { describeAdmissionStoreContract } from './admission-store-contract'

const storeOver =
  (ledger: Ledger) =>
  (options: { sharedThreads?: number } = {}) =>
    createAdmissionController({ loader: ledgerUsageLoader(ledger), sharedThreads: options.sharedThreads })

describeAdmissionStoreContract('over the SQLite ledger', () => {
  const dir = mkdtempSync(join(tmpdir(), 'admission-contract-'))
  const db = openDatabase(join(dir, 'engine.db'))
  const ledger = openSqliteLedger(db)
  return {
    ledger,
    store: storeOver(ledger),
    async close() {
      await ledger.close()
      db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
})

describeAdmissionStoreContract('over the in-memory ledger', () => {
  const ledger = new MemoryLedger()
  return { ledger, store: storeOver(ledger), close: async () => undefined }
})
