/** Child process for the crash test: runs many solves against a Sandbox in the parent until it is SIGKILLed. */
import { PROVIDER_PRESETS } from '@shared/provider'
import { createAdmissionController } from '../../../electron/engine/admission'
import { openDatabase } from '../../../electron/engine/db/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import { createProviderClient } from '../../../electron/engine/provider'
import { keyFingerprint } from '../../../electron/engine/sandbox'
import { createPricing, createSolveService } from '../../../electron/engine/solve'
import { createTenantRegistry } from '../../../electron/engine/tenants/registry'

const env = (name: string): string => {
  const v = process.env[name]
  if (!v) throw new Error(`crash-child needs ${name}`)
  return v
}
const [SANDBOX_URL, DB_PATH, DATA_DIR, TENANT_ID, API_KEY, TOTAL, SPEED] = [
  'SANDBOX_URL',
  'DB_PATH',
  'DATA_DIR',
  'TENANT_ID',
  'API_KEY',
  'TOTAL',
  'SPEED',
].map(env) as [string, string, string, string, string, string, string]
const db = openDatabase(DB_PATH)
const ledger = openSqliteLedger(db)
const tenants = createTenantRegistry({ dataDir: DATA_DIR })
const solver = createSolveService({
  tenants,
  ledger,
  admission: createAdmissionController({ sharedThreads: 150 }),
  keys: { resolve: () => ({ apiKey: API_KEY, providerAccount: `sandbox:${keyFingerprint(API_KEY)}` }) },
  provider: createProviderClient({
    profile: { ...PROVIDER_PRESETS.sandbox, baseUrl: SANDBOX_URL },
    speed: Number(SPEED),
  }),
  pricing: createPricing(),
})
let settled = 0
const total = Number(TOTAL)
let started = 0
const worker = async (): Promise<void> => {
  while (started < total) {
    started++
    await solver.solve(
      TENANT_ID,
      { type: 'recaptcha_v3', googlekey: 'k', pageurl: 'https://example.com' },
      { source: 'api', timeoutMs: 30_000 },
    )
    settled++
    if (settled % 25 === 0) process.stdout.write(`settled ${settled}\n`)
  }
}
await Promise.all(Array.from({ length: 100 }, worker))
process.stdout.write(`done ${settled}\n`)
