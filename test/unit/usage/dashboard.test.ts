/** The dashboard's tenant rows: today and this month in each tenant's own zone, holds, and live solves. */
import { describe, expect, it } from 'vitest'
import { createAdmissionController, ledgerUsageLoader } from '../../../electron/engine/admission'
import { MemoryLedger } from '../../../electron/engine/ledger/memory-ledger'
import { dashboardTenantRows } from '../../../electron/engine/usage/dashboard'
import { createUsageQueries } from '../../../electron/engine/usage/usage-queries'
import { tenantFixture } from '../../support/tenant-fixture'

describe('dashboard tenant rows', () => {
  it('counts by each tenant’s local day and month, with holds from admission and live solves from the solver', async () => {
    const now = Date.parse('2026-11-02T03:00:00Z') // Nov 1, 22:00 in New York; Nov 2 in Tokyo
    const ny = tenantFixture('ny', { timezone: 'America/New_York' })
    const tokyo = tenantFixture('tk', { timezone: 'Asia/Tokyo' })
    const ledger = new MemoryLedger(() => now)
    const solved = async (id: string, tenantId: string, at: number, failed = false) => {
      await ledger.begin({
        attemptId: id,
        tenantId,
        captchaType: 'image',
        providerAccount: 'p',
        source: 'api',
        createdAt: at,
        reservedMicros: 0,
      })
      await ledger.settle(
        id,
        failed
          ? { status: 'failed', errorCode: 'ERROR_CAPTCHA_UNSOLVABLE', endedAt: at, threadMs: 1 }
          : {
              status: 'solved',
              readyAt: at,
              endedAt: at,
              threadMs: 1,
              costMicros: 1_000,
              priceMicros: 1_500,
            },
      )
    }
    await solved('a', 'ny', Date.parse('2026-11-01T20:00:00Z')) // Nov 1 in both zones' sense for NY
    await solved('b', 'tk', Date.parse('2026-11-01T16:00:00Z')) // Nov 2, 01:00 in Tokyo
    await solved('c', 'tk', Date.parse('2026-11-01T14:00:00Z'), true) // Nov 1, 23:00 in Tokyo
    const admission = createAdmissionController({ loader: ledgerUsageLoader(ledger) })
    const held = admission.reserve({ tenant: ny, captchaType: 'image', estimateMicros: 700, now })
    expect(held.ok).toBe(true)
    const rows = dashboardTenantRows(
      {
        tenants: { list: () => [ny, tokyo] },
        admission,
        usage: createUsageQueries(ledger, {
          list: () => [ny, tokyo],
          get: (id) => [ny, tokyo].find((t) => t.id === id),
        }),
        inFlightByTenant: () => new Map([['ny', 1]]),
      },
      now,
    )
    expect(rows.map((r) => [r.tenantId, r.today, r.month, r.inFlight])).toEqual([
      [
        'ny',
        { date: '2026-11-01', counted: 2, solves: 1, failures: 0, rejections: 0 },
        { month: '2026-11', spentMicros: 1_500, costMicros: 1_000, reservedMicros: 700, solves: 1 },
        1,
      ],
      [
        'tk',
        { date: '2026-11-02', counted: 1, solves: 1, failures: 0, rejections: 0 },
        { month: '2026-11', spentMicros: 1_500, costMicros: 1_000, reservedMicros: 0, solves: 1 },
        0,
      ],
    ])
  })
})
