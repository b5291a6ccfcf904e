/**
 * The console's usage reads with a million solves in the month, on the engine's event loop (the gateway waits while
 * they run): what the dashboard asks for each tenant every 5 s it is open (the month, today, the last 14 days), the
 * month's spend that admission and alerts read, and a draft invoice's lines (the tenant page and Billing preview). Beside the baseline in the same run: the previous release's
 * queries over every attempt row, on the same file. Also: how long the schema update that builds the usage rollup
 * takes on that file (once, on the first start after the update).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Tenant } from '@shared/tenant'
import { openDatabase, type Database } from '../../electron/engine/db/database'
import { migrate } from '../../electron/engine/db/migrations'
import { LEDGER_MIGRATIONS } from '../../electron/engine/ledger/schema'
import { openSqliteLedger } from '../../electron/engine/ledger/sqlite-ledger'
import { createUsageQueries } from '../../electron/engine/usage/usage-queries'
import { openRefusalCounters, REFUSAL_MIGRATIONS } from '../../electron/engine/refusals/refusal-counters'
import {
  datesBetween,
  localDateOf,
  localDayBounds,
  localMonthBounds,
  localMonthOf,
} from '../../electron/engine/time/zoned'
import { assertBench, standaloneContext, type BenchContext } from './bench-kit'
import { bulkSeed } from './billing.bench'

const TZ = 'Europe/Berlin'
const MONTH = '2026-11'
const TODAY = '2026-11-29'
const FROM_14 = '2026-11-16'
const ROUNDS = 5
/** The draft's cutoff: after every seeded solve was recorded (they end by 30 November, 23:00 UTC). */
const DRAFT_AT = Date.parse('2026-12-01T00:00:00Z')

/** The median of `ROUNDS` runs of `fn`, in ms. */
function medianMs(fn: () => void): number {
  const times: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now()
    fn()
    times.push(performance.now() - t0)
  }
  return times.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!
}

/** A comparable text of invoice lines: [type, unit price, count, amount], sorted. */
const linesKey = (lines: unknown[][]): string => JSON.stringify(lines.map((l) => l.map(String)).sort())

/** The previous release's reads (ledger schema 3): every attempt row of the range, grouped per bucket. */
function previousReads(db: Database) {
  const buckets = db.prepare(`SELECT tenant_id, (COALESCE(ended_at, created_at) / 900000) * 900000 AS bucket,
      captcha_type, status, error_code, COUNT(*) AS n, SUM(thread_ms) AS thread_ms, SUM(cost_micros) AS cost,
      SUM(price_micros) AS price
    FROM attempts WHERE COALESCE(ended_at, created_at) >= ? AND COALESCE(ended_at, created_at) < ? AND tenant_id = ?
    GROUP BY tenant_id, bucket, captcha_type, status, error_code`)
  const spent = db.prepare(`SELECT COALESCE(SUM(price_micros), 0) AS spent FROM attempts
    WHERE tenant_id = ? AND status = 'solved' AND ended_at >= ? AND ended_at < ?`)
  const reserved = db.prepare(`SELECT COALESCE(SUM(reserved_micros), 0) AS reserved FROM attempts
    WHERE tenant_id = ? AND status IN ('pending','submitted') AND created_at >= ? AND created_at < ?`)
  const refusalRows = db.prepare(
    'SELECT * FROM refusal_counts WHERE tenant_id = ? AND minute >= ? AND minute < ? ORDER BY minute',
  )
  /** Solves and refusals in the periods, read as that release did: refusals minute by minute, each to its period. */
  const usageIn = (
    periods: string[],
    bounds: (p: string) => [number, number],
    periodOf: typeof localDateOf,
  ) => {
    const [a, b] = [bounds(periods[0]!)[0], bounds(periods[periods.length - 1]!)[1]]
    const solves = (buckets.all(a, b, 't_big') as Array<{ status: string; n: number }>)
      .filter((r) => r.status === 'solved')
      .reduce((sum, r) => sum + Number(r.n), 0)
    let refused = 0
    for (const r of refusalRows.all('t_big', a, b) as Array<{ minute: number; count: number }>)
      if (periods.includes(periodOf(Number(r.minute), TZ))) refused += Number(r.count)
    return solves + refused
  }
  const groups = db.prepare(`SELECT captcha_type, price_micros, COUNT(*) AS n, SUM(price_micros) AS amount
    FROM attempts INDEXED BY attempts_tenant_ended WHERE tenant_id = ? AND status = 'solved' AND ended_at >= ?
      AND ended_at < ? AND settled_at >= ? AND settled_at < ? GROUP BY captcha_type, price_micros`)
  return {
    draftLines(): string {
      const [a, b] = localMonthBounds(MONTH, TZ)
      const rows = groups.all('t_big', a, b, Number.MIN_SAFE_INTEGER, DRAFT_AT) as Array<
        Record<string, unknown>
      >
      return linesKey(rows.map((r) => [r.captcha_type, r.price_micros, r.n, r.amount]))
    },
    dashboard(): number {
      const day = (d: string) => localDayBounds(d, TZ)
      return (
        usageIn([MONTH], (m) => localMonthBounds(m, TZ), localMonthOf) +
        usageIn([TODAY], day, localDateOf) +
        usageIn(datesBetween(FROM_14, TODAY), day, localDateOf)
      )
    },
    spend(): number {
      const [a, b] = localMonthBounds(MONTH, TZ)
      reserved.get('t_big', a, b)
      return Number((spent.get('t_big', a, b) as { spent: number }).spent)
    },
  }
}

/** Refusal counts for t_big at each of the month's last `minutes` minutes, for two codes (one INSERT … SELECT). */
function seedRefusals(db: Database, minutes: number): void {
  const end = localMonthBounds(MONTH, TZ)[1]
  db.prepare(
    `WITH RECURSIVE m(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM m WHERE i < $minutes)
     INSERT INTO refusal_counts (tenant_id, minute, code, count)
     SELECT 't_big', $end - i * 60000, code, 50 FROM m, (SELECT 'LIMIT_RATE' AS code UNION ALL SELECT 'NO_SLOT')`,
  ).run({ minutes, end })
}

export async function run(ctx: BenchContext): Promise<void> {
  const rows = ctx.quick ? 20_000 : 1_000_000
  const full = !ctx.quick
  const dir = mkdtempSync(join(tmpdir(), 'captchadesk-usage-'))
  const db = openDatabase(join(dir, 'engine.db'))
  try {
    // The file as the previous release left it, with a month of solves for one tenant, refused at every minute of
    // the month (quick: of the last day) for two reasons as well.
    migrate(db, 'ledger', LEDGER_MIGRATIONS.slice(0, 3))
    migrate(db, 'refusals', REFUSAL_MIGRATIONS.slice(0, 1))
    bulkSeed(db, rows)
    seedRefusals(db, ctx.quick ? 1_440 : 43_200)
    const before = previousReads(db)
    const beforeDashboard = medianMs(() => before.dashboard())
    const beforeSpend = medianMs(() => before.spend())
    const expectedSolves = before.dashboard()
    const expectedSpend = before.spend()
    const beforeDraft = medianMs(() => before.draftLines())
    const expectedLines = before.draftLines()

    let migrationMs = NaN
    const ledger = openSqliteLedger(db, { onMigrated: (version, ms) => (migrationMs = ms) })
    const refusals = openRefusalCounters(db) // per 15 minutes now (its schema update)
    const tenant = { id: 't_big', timezone: TZ } as Tenant
    const usage = createUsageQueries(
      ledger,
      { list: () => [tenant], get: (id) => (id === tenant.id ? tenant : undefined) },
      refusals,
    )
    const dashboard = (): number =>
      [
        ...usage.forMonth([tenant.id], MONTH),
        ...usage.byDay([tenant.id], TODAY, TODAY),
        ...usage.byDay([tenant.id], FROM_14, TODAY),
      ].reduce((sum, r) => sum + r.solves + r.rejections, 0)
    const spend = (): number => ledger.spendForMonth(tenant.id, ...localMonthBounds(MONTH, TZ)).spentMicros
    // Same answers as the previous release on the same rows, or the figures mean nothing.
    assertBench(
      dashboard() === expectedSolves,
      `usage reads disagree: ${dashboard()} vs ${expectedSolves} solves and refusals`,
    )
    assertBench(spend() === expectedSpend, `month spend disagrees: ${spend()} vs ${expectedSpend}`)
    const draftLines = (): string => {
      const [endedFrom, endedTo] = localMonthBounds(MONTH, TZ)
      const slice = { tenantId: tenant.id, endedFrom, endedTo, selective: 'ended' as const }
      const groups = ledger.solvedGroups({
        ...slice,
        settledFrom: Number.MIN_SAFE_INTEGER,
        settledTo: DRAFT_AT,
      })
      return linesKey(groups.map((g) => [g.captchaType, g.priceMicros, g.count, g.amountMicros]))
    }
    assertBench(draftLines() === expectedLines, `draft lines disagree: ${draftLines()} vs ${expectedLines}`)
    const afterDraft = medianMs(draftLines)
    const afterDashboard = medianMs(dashboard)
    const afterSpend = medianMs(spend)
    // The whole dashboard refresh for 100 tenants in six zones (the big one and 99 quiet ones): its rows and the
    // 14-day chart. Each local midnight is found once (Intl, ~30 µs) and remembered; finding them again for every
    // tenant and day at every refresh took 73–119 ms for 100 tenants (measured while writing this).
    const zones = [
      'Europe/Berlin',
      'Asia/Kolkata',
      'America/New_York',
      'Asia/Kathmandu',
      'Australia/Adelaide',
      'UTC',
    ]
    const many = [
      tenant,
      ...Array.from({ length: 99 }, (_, i) => ({ id: `quiet${i}`, timezone: zones[i % 6]! }) as Tenant),
    ]
    const manyUsage = createUsageQueries(
      ledger,
      { list: () => many, get: (id) => many.find((t) => t.id === id) },
      refusals,
    )
    const refresh = (): void => {
      for (const t of many) {
        manyUsage.forMonth([t.id], MONTH)
        manyUsage.byDay([t.id], TODAY, TODAY)
      }
      manyUsage.byDay('all', FROM_14, TODAY)
    }
    const refreshMs = medianMs(refresh)

    console.table([
      {
        read: `dashboard, one tenant (month + today + 14 days), ${rows.toLocaleString('en')} solves, refused every minute`,
        'previous ms': beforeDashboard.toFixed(1),
        'now ms': afterDashboard.toFixed(2),
      },
      {
        read: 'month spend (admission, alerts)',
        'previous ms': beforeSpend.toFixed(1),
        'now ms': afterSpend.toFixed(2),
      },
      {
        read: "a draft invoice's lines (tenant page, Billing preview)",
        'previous ms': beforeDraft.toFixed(1),
        'now ms': afterDraft.toFixed(2),
      },
      {
        read: 'dashboard refresh, 100 tenants (their rows and the 14-day chart)',
        'previous ms': '',
        'now ms': refreshMs.toFixed(1),
      },
      {
        read: 'schema update building the rollup (once)',
        'previous ms': '',
        'now ms': migrationMs.toFixed(0),
      },
    ])
    ctx.record('dashboard usage reads per tenant, previous release (baseline)', beforeDashboard, 'ms')
    ctx.record('dashboard usage reads per tenant', afterDashboard, 'ms', full ? { max: 20 } : undefined)
    ctx.record('month spend read, previous release (baseline)', beforeSpend, 'ms')
    ctx.record('month spend read', afterSpend, 'ms', full ? { max: 5 } : undefined)
    ctx.record('dashboard refresh for 100 tenants', refreshMs, 'ms', full ? { max: 50 } : undefined)
    ctx.record('draft invoice lines, previous release (baseline)', beforeDraft, 'ms')
    ctx.record('draft invoice lines', afterDraft, 'ms', full ? { max: 20 } : undefined)
    ctx.record(
      `schema update building the usage rollup, ${rows.toLocaleString('en')} rows`,
      migrationMs,
      'ms',
    )
    refusals.close()
    await ledger.close()
  } finally {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run(standaloneContext('usage'))
