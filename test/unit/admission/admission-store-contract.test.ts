/**
 * The admission store contract for each store — the in-process one (production) and the keyed one over in-memory
 * counters (the shape a Valkey/Redis store takes) — over each ledger storage: SQLite (a real file) and in memory.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createAdmissionController,
  createKeyedAdmissionStore,
  ledgerUsageLoader,
  MemoryCounters,
  type AdmissionOptions,
  type AdmissionStore,
} from '../../../electron/engine/admission'
import { openDatabase } from '../../../electron/engine/db/database'
import { MemoryLedger } from '../../../electron/engine/ledger/memory-ledger'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import type { Ledger } from '../../../electron/engine/ledger/types'
import { describeAdmissionStoreContract } from './admission-store-contract'

const stores: Record<string, (options: AdmissionOptions) => AdmissionStore> = {
  'in-process store': (options) => createAdmissionController(options),
  // A restart starts from empty counters, as a new process does (a shared Valkey would keep them).
  'keyed store': (options) => createKeyedAdmissionStore(new MemoryCounters(), options),
}

for (const [storeName, createStore] of Object.entries(stores)) {
  const storeOver =
    (ledger: Ledger) =>
    (options: { sharedThreads?: number } = {}) =>
      createStore({ loader: ledgerUsageLoader(ledger), sharedThreads: options.sharedThreads })

  describeAdmissionStoreContract(`${storeName} over the SQLite ledger`, () => {
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

  describeAdmissionStoreContract(`${storeName} over the in-memory ledger`, () => {
    const ledger = new MemoryLedger()
    return { ledger, store: storeOver(ledger), close: async () => undefined }
  })
}
