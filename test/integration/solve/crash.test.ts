/**
 * Crash test: a child process runs ≥ 1,000 solves against the Sandbox (in this process) and is killed with SIGKILL
 * mid-load. After reopening the ledger and recovering, the ledger holds exactly the tasks the Sandbox solved for it —
 * none lost, none twice — apart from attempts whose task id never reached us (reported), and nothing is left open.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { PROVIDER_PRESETS } from '@shared/provider'
import { createAdmissionController } from '../../../electron/engine/admission'
import { openDatabase } from '../../../electron/engine/ledger/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import { createProviderClient } from '../../../electron/engine/provider'
import { keyFingerprint, startSandbox } from '../../../electron/engine/sandbox'
import { createPricing, createSolveService } from '../../../electron/engine/solve'
import { createTenantRegistry } from '../../../electron/engine/tenants/registry'

const KEY = 'c'.repeat(32)
const SPEED = 400

it('a SIGKILLed run loses nothing and bills nothing twice', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'captchadesk-crash-'))
  const sandbox = await startSandbox({
    speed: SPEED,
    seed: 9,
    keys: [{ key: KEY, threads: 200 }],
    faults: { unsolvableRate: 0.1 },
  })
  const dbPath = join(dir, 'engine.db')
  const tenant = createTenantRegistry({ dataDir: dir }).create({ name: 'Crash Co' }, 'test')
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'crash-child.ts')], {
    env: {
      ...process.env,
      SANDBOX_URL: sandbox.url,
      DB_PATH: dbPath,
      DATA_DIR: dir,
      TENANT_ID: tenant.id,
      API_KEY: KEY,
      TOTAL: '1500',
      SPEED: String(SPEED),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const killedAt = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const m = /settled (\d+)/.exec(d.toString())
      if (m && Number(m[1]) >= 500) {
        child.kill('SIGKILL')
        resolve(Number(m[1]))
      }
    })
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child ended early (${code}): ${stderr.slice(-2000)}`))
    })
  })
  await new Promise((r) => child.once('close', r))
  expect(killedAt).toBeGreaterThanOrEqual(500)
  expect(sandbox.tasks({ key: KEY }).length).toBeGreaterThan(killedAt)

  // Restart: reopen the ledger and settle what the crash left open.
  const db = openDatabase(dbPath)
  const ledger = openSqliteLedger(db)
  const openBefore = ledger.openAttempts().length
  expect(openBefore).toBeGreaterThan(0)
  const provider = createProviderClient({
    profile: { ...PROVIDER_PRESETS.sandbox, baseUrl: sandbox.url },
    speed: SPEED,
  })
  const solver = createSolveService({
    tenants: createTenantRegistry({ dataDir: dir }),
    ledger,
    admission: createAdmissionController(),
    keys: { resolve: () => ({ apiKey: KEY, providerAccount: `sandbox:${keyFingerprint(KEY)}` }) },
    provider,
    pricing: createPricing(),
  })
  const report = await solver.recoverOpenAttempts()
  await solver.drain()
  expect(ledger.openAttempts()).toHaveLength(0)

  const rows = db
    .prepare(
      'SELECT upstream_task_id AS id, status, price_micros AS price FROM attempts WHERE upstream_task_id IS NOT NULL',
    )
    .all() as Array<{
    id: string
    status: string
    price: number
  }>
  const ledgerSolved = new Set(rows.filter((r) => r.status === 'solved').map((r) => r.id))
  const sandboxSolved = new Set(sandbox.tasks({ key: KEY, status: 'solved' }).map((t) => t.id))
  const sandboxAll = new Set(sandbox.tasks({ key: KEY }).map((t) => t.id))
  // none twice: one row per upstream task (also a UNIQUE constraint), billed at most once
  expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length)
  // nothing billed that the Sandbox did not solve
  for (const id of ledgerSolved) expect(sandboxSolved.has(id)).toBe(true)
  expect(rows.filter((r) => r.status !== 'solved').every((r) => r.price === 0)).toBe(true)
  // none lost: every Sandbox task is in the ledger, except those whose id never reached us before the kill
  const missing = [...sandboxAll].filter((id) => !rows.some((r) => r.id === id))
  expect(missing.length).toBeLessThanOrEqual(report.unconfirmed)
  const missingSolved = [...sandboxSolved].filter((id) => !ledgerSolved.has(id))
  expect(missingSolved.length).toBeLessThanOrEqual(report.unconfirmed)
  console.log(
    `crash test: killed after ${killedAt} settled; Sandbox accepted ${sandboxAll.size}, solved ${sandboxSolved.size}; ledger solved ${ledgerSolved.size}; ` +
      `open at restart ${openBefore} → recovered solved ${report.solved}, failed ${report.failed}, still running ${report.stillRunning}, ` +
      `unconfirmed submits ${report.unconfirmed} (tasks the Sandbox accepted whose id never reached the ledger: ${missing.length})`,
  )
  await provider.close()
  await sandbox.close()
  db.close()
  rmSync(dir, { recursive: true, force: true })
}, 120_000)
