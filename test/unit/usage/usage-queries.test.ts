import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Tenant } from '@shared/tenant'
import { openDatabase, type Database } from '../../../electron/engine/db/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import type { Ledger } from '../../../electron/engine/ledger/types'
import { openRefusalCounters, type RefusalCounters } from '../../../electron/engine/refusals/refusal-counters'
import { createUsageQueries, type UsageQueries } from '../../../electron/engine/usage/usage-queries'

let db: Database
let ledger: Ledger
let seq = 0
const tenants: Tenant[] = []
let usage: UsageQueries
let refusals: RefusalCounters

const tenant = (id: string, timezone: string, status: Tenant['status'] = 'active'): Tenant =>
  ({ id, name: id, timezone, status }) as Tenant

beforeEach(() => {
  db = openDatabase(':memory:')
  ledger = openSqliteLedger(db)
  refusals = openRefusalCounters(db)
  tenants.length = 0
  usage = createUsageQueries(
    ledger,
    {
      list: ({ includeDeleted = false } = {}) =>
        tenants.filter((t) => includeDeleted || t.status !== 'deleted'),
      get: (id) => tenants.find((t) => t.id === id),
    },
    refusals,
  )
})
afterEach(() => {
  refusals.close()
  db.close()
})

const at = (iso: string): number => Date.parse(iso)

/** One attempt that ends at `iso` (created a little before): solved (price 1,500, cost 1,000), failed, or open. */
async function attempt(
  tenantId: string,
  iso: string,
  outcome: 'solved' | 'failed' | 'timed_out' | 'open' = 'solved',
  errorCode: string | null = 'ERROR_CAPTCHA_UNSOLVABLE',
): Promise<void> {
  const id = `a${seq++}`
  const end = at(iso)
  await ledger.begin({
    attemptId: id,
    tenantId,
    captchaType: 'image',
    providerAccount: 'p',
    source: 'api',
    createdAt: end - 1_000,
    reservedMicros: 1_500,
  })
  if (outcome === 'open') return
  if (outcome === 'solved')
    await ledger.settle(id, {
      status: 'solved',
      readyAt: end,
      endedAt: end,
      threadMs: 1_000,
      costMicros: 1_000,
      priceMicros: 1_500,
    })
  else await ledger.settle(id, { status: outcome, errorCode, endedAt: end, threadMs: 400 })
}

/** A refusal, counted the way admission counts it in production (refusal-counters.ts), not as a ledger row. */
const reject = (tenantId: string, iso: string, errorCode: string) =>
  refusals.count(tenantId, errorCode, at(iso))

const solvesByDay = (id: string, from: string, to: string) =>
  usage.byDay([id], from, to).map((r) => [r.period, r.solves])

describe('usage by local day and month', () => {
  it('Berlin: the 25-hour autumn day holds both its first and its last hour', async () => {
    tenants.push(tenant('be', 'Europe/Berlin'))
    await attempt('be', '2026-10-24T21:59:59Z') // 23:59:59 CEST on the 24th
    await attempt('be', '2026-10-24T22:00:00Z') // 00:00 CEST on the 25th
    await attempt('be', '2026-10-25T01:30:00Z') // 02:30 CET, the repeated hour
    await attempt('be', '2026-10-25T22:59:59Z') // 23:59:59 CET on the 25th
    await attempt('be', '2026-10-25T23:00:00Z') // 00:00 CET on the 26th
    expect(solvesByDay('be', '2026-10-24', '2026-10-26')).toEqual([
      ['2026-10-24', 1],
      ['2026-10-25', 3],
      ['2026-10-26', 1],
    ])
  })

  it('New York: the 23-hour spring day and the month boundary in local time', async () => {
    tenants.push(tenant('ny', 'America/New_York'))
    await attempt('ny', '2026-03-08T04:59:00Z') // 23:59 EST on the 7th
    await attempt('ny', '2026-03-08T05:00:00Z') // 00:00 EST on the 8th
    await attempt('ny', '2026-03-09T03:59:00Z') // 23:59 EDT on the 8th
    await attempt('ny', '2026-03-09T04:00:00Z') // 00:00 EDT on the 9th
    await attempt('ny', '2026-04-01T03:59:00Z') // 23:59 EDT on 31 March
    await attempt('ny', '2026-04-01T04:00:00Z') // April
    expect(solvesByDay('ny', '2026-03-07', '2026-03-09')).toEqual([
      ['2026-03-07', 1],
      ['2026-03-08', 2],
      ['2026-03-09', 1],
    ])
    expect(usage.forMonth(['ny'], '2026-03')[0]!.solves).toBe(5)
    expect(usage.forMonth(['ny'], '2026-04')[0]!.solves).toBe(1)
  })

  it('half-hour and 45-minute zones split at their own midnight (Kolkata, Kathmandu, Adelaide)', async () => {
    tenants.push(
      tenant('in', 'Asia/Kolkata'),
      tenant('np', 'Asia/Kathmandu'),
      tenant('au', 'Australia/Adelaide'),
    )
    await attempt('in', '2026-06-01T18:29:59Z') // 23:59:59 IST
    await attempt('in', '2026-06-01T18:30:00Z') // 00:00 IST on 2 June
    await attempt('np', '2026-06-01T18:14:59Z') // 23:59:59 NPT (+05:45)
    await attempt('np', '2026-06-01T18:15:00Z') // 00:00 NPT on 2 June
    // Adelaide is on daylight time (+10:30) until 5 April 2026: April begins at 31 March 13:30 UTC.
    await attempt('au', '2026-03-31T13:29:59Z')
    await attempt('au', '2026-03-31T13:30:00Z')
    expect(solvesByDay('in', '2026-06-01', '2026-06-02')).toEqual([
      ['2026-06-01', 1],
      ['2026-06-02', 1],
    ])
    expect(solvesByDay('np', '2026-06-01', '2026-06-02')).toEqual([
      ['2026-06-01', 1],
      ['2026-06-02', 1],
    ])
    expect(usage.forMonth(['au'], '2026-03')[0]!.solves).toBe(1)
    expect(usage.forMonth(['au'], '2026-04')[0]!.solves).toBe(1)
  })

  it("'all' puts the same instant on each tenant's own date; a UTC tenant has plain days", async () => {
    tenants.push(tenant('utc', 'UTC'), tenant('ny', 'America/New_York'), tenant('in', 'Asia/Kolkata'))
    for (const id of ['utc', 'ny', 'in']) await attempt(id, '2026-07-15T02:00:00Z')
    const rows = usage.byDay('all', '2026-07-14', '2026-07-15').filter((r) => r.solves > 0)
    expect(rows.map((r) => [r.tenantId, r.period]).sort()).toEqual([
      ['in', '2026-07-15'],
      ['ny', '2026-07-14'],
      ['utc', '2026-07-15'],
    ])
    // Every requested day is reported for every tenant, zero when idle.
    expect(usage.byDay('all', '2026-07-14', '2026-07-15')).toHaveLength(6)
  })

  it('counts solves, failures and rejections by code, thread time, cost, price and margin; open attempts are not counted', async () => {
    tenants.push(tenant('t', 'Europe/Berlin'), tenant('gone', 'UTC', 'deleted'))
    await attempt('t', '2026-05-10T10:00:00Z')
    await attempt('t', '2026-05-10T11:00:00Z')
    await attempt('t', '2026-05-10T12:00:00Z', 'failed')
    await attempt('t', '2026-05-10T12:30:00Z', 'failed', 'ERROR_BAD_DUPLICATES')
    await attempt('t', '2026-05-10T13:00:00Z', 'timed_out', null)
    await attempt('t', '2026-05-10T14:00:00Z', 'open')
    reject('t', '2026-05-10T15:00:00Z', 'LIMIT_DAILY')
    reject('t', '2026-05-10T15:01:00Z', 'LIMIT_DAILY')
    reject('t', '2026-05-10T15:02:00Z', 'LIMIT_RATE')
    await attempt('gone', '2026-05-10T10:00:00Z')
    await attempt('gone', '2026-05-10T10:05:00Z', 'open')
    const [day] = usage.byDay(['t'], '2026-05-10', '2026-05-10')
    expect(day).toEqual({
      period: '2026-05-10',
      tenantId: 't',
      solves: 2,
      failures: 3,
      failuresByCode: { ERROR_CAPTCHA_UNSOLVABLE: 1, ERROR_BAD_DUPLICATES: 1, TIMED_OUT: 1 },
      rejections: 3,
      rejectionsByCode: { LIMIT_DAILY: 2, LIMIT_RATE: 1 },
      threadMs: 2 * 1_000 + 3 * 400,
      costMicros: 2_000,
      priceMicros: 3_000,
      marginMicros: 1_000,
    })
    expect(usage.forMonth(['t'], '2026-05')[0]).toMatchObject({ ...day, period: '2026-05' })
    // A deleted tenant's history still counts in 'all'.
    expect(usage.forMonth('all', '2026-05').find((r) => r.tenantId === 'gone')?.solves).toBe(1)
    // Asked by id alone, a deleted tenant's usage is there too; an unknown id has none.
    expect(usage.forMonth(['gone'], '2026-05')[0]?.solves).toBe(1)
    expect(usage.forMonth(['nobody'], '2026-05')).toEqual([])
  })

  it('rejects malformed periods clearly', () => {
    tenants.push(tenant('t', 'UTC'))
    expect(() => usage.byDay('all', '2026-02-30', '2026-03-01')).toThrow(/calendar date/)
    expect(() => usage.forMonth('all', '2026-13')).toThrow(/month/)
    expect(usage.byDay('all', '2026-03-02', '2026-03-01')).toEqual([])
  })
})
