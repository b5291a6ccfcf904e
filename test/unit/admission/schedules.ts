/** Random admission schedules' ingredients, shared by the admission property tests. */
import fc from 'fast-check'
import type { Tenant } from '@shared/tenant'
import { tenantFixture } from '../../support/tenant-fixture'

export const ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'UTC']

/** One tenant's limits (each may be absent; rate and daily from `minLimit`), zone and share weight. */
export const tenantConfig = (minLimit: number) =>
  fc.record({
    rpm: fc.option(fc.integer({ min: minLimit, max: 30 }), { nil: undefined }),
    daily: fc.option(fc.integer({ min: minLimit, max: 40 }), { nil: undefined }),
    conc: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
    budget: fc.option(fc.integer({ min: 0, max: 60_000 }), { nil: undefined }),
    tz: fc.constantFrom(...ZONES),
    weight: fc.integer({ min: 1, max: 4 }),
  })

type TenantConfig = {
  rpm?: number
  daily?: number
  conc?: number
  budget?: number
  tz: string
  weight: number
}

/** Tenants t0, t1, … from their configs. */
export function tenantsFrom<C extends TenantConfig>(
  cfgs: C[],
  over: (c: C, i: number) => Partial<Tenant> = () => ({}),
): Tenant[] {
  return cfgs.map((c, i) =>
    tenantFixture(`t${i}`, {
      timezone: c.tz,
      shareWeight: c.weight,
      limits: {
        requestsPerMinute: c.rpm,
        solvesPerDay: c.daily,
        maxConcurrent: c.conc,
        monthlyBudgetMicros: c.budget,
      },
      ...over(c, i),
    }),
  )
}

/** Start near DST changes and month ends on purpose. */
export const startInstant = fc.constantFrom(
  Date.UTC(2026, 2, 29, 0, 30),
  Date.UTC(2026, 9, 31, 23, 0),
  Date.UTC(2026, 10, 30, 22, 0),
  Date.UTC(2026, 2, 8, 4, 0),
)
