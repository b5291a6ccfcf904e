/** A complete Tenant value for tests that exercise engine parts without the registry. */
import type { Tenant } from '@shared/tenant'

export function tenantFixture(id: string, over: Partial<Tenant> = {}): Tenant {
  return {
    id,
    name: id,
    status: 'active',
    keyMode: 'shared',
    limits: {},
    pricePlan: { kind: 'markup', markupBps: 0 },
    timezone: 'UTC',
    alertThresholds: { percents: [80, 95, 100] },
    shareWeight: 1,
    notes: '',
    createdAt: '',
    updatedAt: '',
    ...over,
  }
}
