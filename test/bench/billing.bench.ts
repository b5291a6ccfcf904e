/**
 * Export of a 1,000,000-solve month: the streamed exporter vs a naive baseline (load all rows, unparse at once),
 * each in its own child process so peak memory (maxRSS) is measured separately. Goal: ≤ 3 s and ≤ 200 MB.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../electron/engine/ledger/database'
import { openSqliteLedger } from '../../electron/engine/ledger/sqlite-ledger'
import { seedAttempts, type SeedRow } from '../support/ledger-seed'

const ROWS = 1_000_000

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'billing-bench-'))
  try {
    const dbPath = join(dir, 'engine.db')
    const db = openDatabase(dbPath)
    openSqliteLedger(db)
    const start = Date.parse('2026-10-31T23:00:00Z')
    const span = Date.parse('2026-11-30T23:00:00Z') - start
    const t0 = performance.now()
    function* rows(): Generator<SeedRow> {
      for (let i = 0; i < ROWS; i++) {
        yield {
          id: `r${i}`,
          tenantId: 't_big',
          type: i % 3 ? 'turnstile' : 'recaptcha_v2',
          endedAt: start + Math.floor((i / ROWS) * span),
          cost: 2_000,
          price: 3_000,
          threadMs: 12_345,
        }
      }
    }
    seedAttempts(db, rows())
    db.close()
    console.log(
      `seeded ${ROWS.toLocaleString()} solved rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    )
    const results = []
    for (const variant of ['naive', 'streamed']) {
      const out = execFileSync(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, 'billing-export-child.ts'), variant, dbPath, dir],
        { encoding: 'utf8', maxBuffer: 1 << 20 },
      )
      const r = JSON.parse(out.trim().split('\n').pop()!) as {
        variant: string
        rows: number
        seconds: number
        peakRssMiB: number
      }
      results.push({
        variant:
          variant === 'naive'
            ? 'baseline: load all + unparse at once'
            : 'CaptchaDesk streamed export (summary + detail)',
        rows: r.rows,
        seconds: r.seconds.toFixed(2),
        'peak RSS MiB': r.peakRssMiB.toFixed(0),
      })
    }
    console.table(results)
    console.log('Goal: ≤ 3 s and ≤ 200 MB peak for the streamed export.')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
