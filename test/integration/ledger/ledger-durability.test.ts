/**
 * The ledger under a real process kill and at scale:
 * - a child that is SIGKILLed mid-load loses no write whose promise had resolved (promises resolve only after
 *   COMMIT), makes no duplicate, and leaves only legal states;
 * - an export streaming 100,000 rows keeps this thread's heap flat (measured with --expose-gc beside all());
 * - an export in progress (past its first page, the reader is a worker in one read transaction) and durable solves
 *   go on together: neither waits for the other.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { openDatabase } from '../../../electron/engine/db/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-durability-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const child = (file: string, env: Record<string, string>, nodeArgs: string[] = []) =>
  spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(import.meta.dirname, file)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })

it('a SIGKILLed writer loses no acknowledged write and duplicates nothing', async () => {
  const dbPath = join(dir, 'engine.db')
  const proc = child('ack-child.ts', { DB_PATH: dbPath })
  const acked = new Map<string, 'begin' | 'submitted' | 'settled'>()
  let stderr = ''
  let buffer = ''
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(new Error(`child too slow: ${acked.size} acks; ${stderr.slice(-2000)}`))
    }, 45_000)
    proc.stdout.on('data', (d: Buffer) => {
      buffer += d.toString()
      const lines = buffer.split('\n')
      buffer = lines.pop() ?? ''
      for (const line of lines) {
        const [, id, step] = line.split(' ')
        acked.set(id!, step as 'begin' | 'submitted' | 'settled')
      }
      if (acked.size >= 3_000 && !proc.killed) {
        proc.kill('SIGKILL')
        clearTimeout(timer)
        resolve()
      }
    })
    proc.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child ended early (${code}): ${stderr.slice(-2000)}`))
    })
  })
  await new Promise((r) => proc.once('close', r))
  // Lines the child wrote before it died may still arrive after the kill; they are acks too.
  for (const line of buffer.split('\n').filter(Boolean)) {
    const [, id, step] = line.split(' ')
    acked.set(id!, step as 'begin' | 'submitted' | 'settled')
  }

  const db = openDatabase(dbPath)
  const ledger = openSqliteLedger(db)
  const rank = { pending: 0, submitted: 1, solved: 2, failed: 2 } as Record<string, number>
  const need = { begin: 0, submitted: 1, settled: 2 }
  let settledAcks = 0
  for (const [id, step] of acked) {
    const r = ledger.get(id)
    expect(r, `${id} was acknowledged (${step}) but is missing`).toBeDefined()
    expect(rank[r!.status]! >= need[step], `${id}: acked ${step}, found ${r!.status}`).toBe(true)
    if (step === 'settled') settledAcks++
  }
  expect(settledAcks).toBeGreaterThan(100)
  // Every row is in a legal state: one row per attempt and per task, money only on solves.
  const stats = db
    .prepare(
      `SELECT COUNT(*) AS n, COUNT(DISTINCT attempt_id) AS ids, COUNT(upstream_task_id) AS tasks,
         COUNT(DISTINCT upstream_task_id) AS distinct_tasks,
         SUM(CASE WHEN status <> 'solved' AND price_micros <> 0 THEN 1 ELSE 0 END) AS billed_failures,
         SUM(CASE WHEN status IN ('solved','failed') AND ended_at IS NULL THEN 1 ELSE 0 END) AS ended_without_time
       FROM attempts`,
    )
    .get() as Record<string, number>
  expect(stats.n).toBe(stats.ids)
  expect(stats.tasks).toBe(stats.distinct_tasks)
  expect(stats.billed_failures).toBe(0)
  expect(stats.ended_without_time).toBe(0)
  expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' })
  // What the crash left open is exactly what recovery will settle.
  expect(ledger.openAttempts().every((a) => a.status === 'pending' || a.status === 'submitted')).toBe(true)
  db.close()
  expect(statSync(dbPath).mode & 0o777).toBe(0o600)
})

it('streaming an export of 100,000 rows keeps the heap flat', async () => {
  const rows = 100_000
  const proc = child('memory-child.ts', { DB_PATH: join(dir, 'big.db'), ROWS: String(rows) }, ['--expose-gc'])
  let out = ''
  let err = ''
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()))
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const code = await new Promise<number | null>((r) => proc.once('close', r))
  expect(code, err.slice(-2000)).toBe(0)
  const m = JSON.parse(out.trim().split('\n').pop()!) as {
    count: number
    ordered: boolean
    priceSum: number
    peakIterate: number
    peakAll: number
    heldCount: number
  }
  expect(m.count).toBe(rows - rows / 10) // the solved ones
  expect(m.heldCount).toBe(rows - rows / 10)
  expect(m.ordered).toBe(true)
  expect(m.priceSum).toBe((rows - rows / 10) * 3_000)
  // all() of the same rows holds tens of MB; the stream holds a few rows at a time.
  expect(m.peakAll).toBeGreaterThan(20 * 1024 * 1024)
  expect(m.peakIterate).toBeLessThan(4 * 1024 * 1024)
})

it('an export in progress and durable solves go on together, neither blocking the other', async () => {
  const db = openDatabase(join(dir, 'engine.db'))
  const ledger = openSqliteLedger(db)
  const solve = async (id: string, endedAt: number) => {
    await ledger.begin({
      attemptId: id,
      tenantId: 't1',
      captchaType: 'image',
      providerAccount: 'p',
      source: 'api',
      createdAt: endedAt - 10,
      reservedMicros: 0,
    })
    await ledger.markSubmitted(id, `task-${id}`, endedAt - 5)
    await ledger.settle(id, {
      status: 'solved',
      readyAt: endedAt,
      endedAt,
      threadMs: 5,
      costMicros: 1,
      priceMicros: 2,
    })
  }
  // More rows than the ledger reads on its own thread first: the rest streams from a worker.
  for (let i = 0; i < 12_000; i += 500)
    await Promise.all(Array.from({ length: 500 }, (_, k) => solve(`old${i + k}`, 1_000 + i + k)))
  const slice = {
    tenantId: 't1',
    endedFrom: 0,
    endedTo: 50_000, // the solves made meanwhile end later: outside the slice
    settledFrom: 0,
    settledTo: Number.MAX_SAFE_INTEGER,
    selective: 'ended' as const,
  }
  let seen = 0
  let written = 0
  for await (const chunk of ledger.solvedDetail(slice)) {
    for (const id of chunk.taskIds) expect(id?.startsWith('task-old')).toBe(true)
    seen += chunk.taskIds.length
    // Solves settle (durably) while the export is half-way through: neither waits for the other.
    await solve(`new${written}`, 60_000 + written)
    written++
  }
  expect(seen).toBe(12_000)
  expect(written).toBeGreaterThan(5)
  expect(ledger.get(`new${written - 1}`)?.status).toBe('solved')
  db.close()
  const reopened = openDatabase(join(dir, 'engine.db'))
  expect(openSqliteLedger(reopened).get('new0')?.status).toBe('solved')
  reopened.close()
})
