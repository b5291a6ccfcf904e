/**
 * Crash test: a child process runs solves against the Sandbox (in this process), 100 at a time, and is killed with
 * SIGKILL mid-load once more than 1,000 have ended. After reopening the ledger and recovering, the ledger holds exactly the tasks the Sandbox solved for it —
 * none lost, none twice — apart from attempts whose task id never reached us (reported), and nothing is left open.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { PROVIDER_PRESETS } from '@shared/provider'
import { createAdmissionController, ledgerUsageLoader } from '../../../electron/engine/admission'
import { openDatabase } from '../../../electron/engine/db/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import { createProviderClient } from '../../../electron/engine/provider'
import { keyFingerprint, startSandbox } from '../../../electron/engine/sandbox'
import { createPricing, createSolveService } from '../../../electron/engine/solve'
import { createTenantRegistry } from '../../../electron/engine/tenants/registry'
import { localDayBounds } from '../../../electron/engine/time/zoned'

const KEY = 'c'.repeat(32)
const SPEED = 400
const KILL_AFTER = 1_000

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
      TOTAL: '3000',
      SPEED: String(SPEED),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const killedAt = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const m = /settled (\d+)/.exec(d.toString())
      if (m && Number(m[1]) >= KILL_AFTER) {
        child.kill('SIGKILL')
        resolve(Number(m[1]))
      }
    })
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child ended early (${code}): ${stderr.slice(-2000)}`))
    })
  })
  await new Promise((r) => child.once('close', r))
  expect(killedAt).toBeGreaterThanOrEqual(KILL_AFTER)
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
  // What a restart builds: admission seeded from the ledger, then recovery.
  const admission = createAdmissionController({
    sharedThreads: 150,
    loader: ledgerUsageLoader(ledger),
  })
  const tenants = createTenantRegistry({ dataDir: dir })
  const solver = createSolveService({
    tenants,
    ledger,
    admission,
    keys: { resolve: () => ({ apiKey: KEY, providerAccount: `sandbox:${keyFingerprint(KEY)}` }) },
    provider,
    pricing: createPricing(),
  })
  const report = await solver.recoverOpenAttempts()
  await solver.drain()
  expect(ledger.openAttempts()).toHaveLength(0)
  // No reservation is left: nothing in flight or held, no shared thread taken, and the day counts only solves.
  expect(admission.openReservations()).toBe(0)
  expect(admission.sharedUsage().used).toBe(0)
  const snap = admission.snapshot(tenants.get(tenant.id)!, Date.now())
  expect(snap.inFlight).toBe(0)
  expect(snap.month.reservedMicros).toBe(0)

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
  // Exactly the Sandbox's solves, apart from tasks whose id never reached the ledger.
  const missingSet = new Set(missing)
  expect(ledgerSolved).toEqual(new Set([...sandboxSolved].filter((id) => !missingSet.has(id))))
  const solvedRows = db
    .prepare(
      "SELECT COUNT(*) AS n, COALESCE(SUM(price_micros), 0) AS p FROM attempts WHERE status = 'solved'",
    )
    .get() as { n: number; p: number }
  expect(solvedRows.n).toBe(ledgerSolved.size)
  expect(solvedRows.p).toBe(ledgerSolved.size * 4_000) // recaptcha_v3 at the default price, each billed once
  const [dayStart, dayEnd] = localDayBounds(snap.today.date, tenants.get(tenant.id)!.timezone)
  expect(snap.today.counted).toBe(ledger.countForDay(tenant.id, dayStart, dayEnd).solved)
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
