/** A real engine slice for tests: SQLite ledger in a temp dir, tenant registry, admission, provider, Sandbox. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PROVIDER_PRESETS } from '@shared/provider'
import type { TenantCreateInput } from '@shared/tenant-schema'
import { createAdmissionController, ledgerUsageLoader } from '../../electron/engine/admission'
import { openAuditLog } from '../../electron/engine/audit/audit-log'
import { openDatabase } from '../../electron/engine/db/database'
import { GroupCommitter } from '../../electron/engine/db/group-commit'
import { openSqliteLedger } from '../../electron/engine/ledger/sqlite-ledger'
import { openGatewayTasks } from '../../electron/engine/gateway/gateway-tasks'
import { createProviderClient } from '../../electron/engine/provider'
import { openRefusalCounters } from '../../electron/engine/refusals/refusal-counters'
import {
  SANDBOX_DEMO_KEY,
  keyFingerprint,
  startSandbox,
  type SandboxOptions,
} from '../../electron/engine/sandbox'
import { createPricing, createSolveService } from '../../electron/engine/solve'
import { createTenantRegistry } from '../../electron/engine/tenants/registry'

export async function engineFixture(
  opts: {
    sandbox?: SandboxOptions
    sharedThreads?: number
    speed?: number
    now?: () => number
    upstreamUrl?: string
  } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'captchadesk-test-'))
  const speed = opts.speed ?? 2_000
  const sandbox = await startSandbox({ speed, seed: 3, ...opts.sandbox })
  const db = openDatabase(join(dir, 'engine.db'))
  const audit = openAuditLog(db)
  // As the engine wires them: the ledger and the task store write through one group commit.
  const commits = new GroupCommitter(db)
  const ledger = openSqliteLedger(db, { commits })
  const refusals = openRefusalCounters(db)
  const gatewayTasks = openGatewayTasks(db, { commits })
  const tenants = createTenantRegistry({ dataDir: dir, audit })
  const admission = createAdmissionController({
    sharedThreads: opts.sharedThreads,
    loader: ledgerUsageLoader(ledger),
  })
  const provider = createProviderClient({
    profile: { ...PROVIDER_PRESETS.sandbox, baseUrl: opts.upstreamUrl ?? sandbox.url },
    speed,
  })
  const ownKeys = new Map<string, string>()
  const keys = {
    resolve(t: { id: string; keyMode: string }) {
      const apiKey = t.keyMode === 'own' ? ownKeys.get(t.id) : SANDBOX_DEMO_KEY
      if (!apiKey) throw new Error('This tenant uses its own key, and none is set.')
      return { apiKey, providerAccount: `sandbox:${keyFingerprint(apiKey)}` }
    },
  }
  const solver = createSolveService({
    tenants,
    ledger,
    admission,
    keys,
    provider,
    pricing: createPricing(),
    now: opts.now,
    refusals,
    results: gatewayTasks,
  })
  const addTenant = (input: Partial<TenantCreateInput> = {}) =>
    tenants.create({ name: `Tenant ${Math.random().toString(36).slice(2, 8)}`, ...input }, 'test')
  return {
    dir,
    sandbox,
    db,
    audit,
    ledger,
    refusals,
    gatewayTasks,
    tenants,
    admission,
    provider,
    solver,
    ownKeys,
    addTenant,
    async close() {
      await solver.drain()
      await provider.close()
      await sandbox.close()
      await ledger.close()
      refusals.close()
      db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
