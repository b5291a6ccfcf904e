/**
 * Durable ledger records per second: one record = begin + markSubmitted + settle of an attempt, each awaited until
 * committed (fsync'd), many concurrently — beside the seed's approach (one CSV line appended per solve, fsync'd so it
 * is as durable) in the same run.
 */
import { appendFileSync, closeSync, fsyncSync, mkdtempSync, openSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../electron/engine/db/database'
import { openSqliteLedger } from '../../electron/engine/ledger/sqlite-ledger'
import { standaloneContext, type BenchContext } from './bench-kit'

let N = 20_000
let SEED_N = 2_000
const CONCURRENCY = 200

async function ledgerRate(dir: string): Promise<number> {
  const db = openDatabase(join(dir, 'bench.db'))
  const ledger = openSqliteLedger(db)
  let next = 0
  const t0 = performance.now()
  const worker = async (): Promise<void> => {
    while (next < N) {
      const i = next++
      const id = `a${i}`
      await ledger.begin({
        attemptId: id,
        tenantId: `t${i % 50}`,
        captchaType: 'turnstile',
        providerAccount: 'sandbox:x',
        source: 'api',
        createdAt: i,
        reservedMicros: 2_000,
      })
      await ledger.markSubmitted(id, String(1e9 + i), i + 1)
      await ledger.settle(id, {
        status: 'solved',
        readyAt: i + 10,
        endedAt: i + 10,
        threadMs: 9,
        costMicros: 2_000,
        priceMicros: 3_000,
      })
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const secs = (performance.now() - t0) / 1000
  db.close()
  return N / secs
}

function seedCsvRate(dir: string): number {
  const path = join(dir, 'seed.csv')
  const fd = openSync(path, 'a')
  const n = SEED_N
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    appendFileSync(fd, `${new Date().toISOString()},${1e9 + i},turnstile,0.002000\n`)
    fsyncSync(fd)
  }
  const secs = (performance.now() - t0) / 1000
  closeSync(fd)
  return n / secs
}

export async function run(ctx: BenchContext): Promise<void> {
  if (ctx.quick) {
    N = 2_000
    SEED_N = 200
  }
  const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-'))
  try {
    const seed = seedCsvRate(dir)
    const ours = await ledgerRate(dir)
    ctx.record('seed: CSV append + fsync per row', seed, 'records/s')
    ctx.record(
      `SQLite ledger, group commit, ${CONCURRENCY} in flight`,
      ours,
      'records/s',
      ctx.quick ? undefined : { min: 5_000 },
    )
    console.table([
      {
        approach: 'seed: CSV append + fsync per row',
        'records/s': Math.round(seed),
        'ratio vs seed': '1.0×',
      },
      {
        approach: `SQLite ledger, group commit (${CONCURRENCY} in flight; 3 durable writes per record)`,
        'records/s': Math.round(ours),
        'ratio vs seed': `${(ours / seed).toFixed(1)}×`,
      },
    ])
    console.log(
      `Durable writes/s: ${Math.round(ours * 3)}. Goal: ≥ 5,000 durable records/s. ` +
        `Load average during the run: ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' / ')} (fsync-bound: other work on the disk lowers both figures).`,
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run(standaloneContext('ledger'))
