import type { CaptchaType } from './captcha'
import type { Micros } from './money'
import type { TenantBilling } from './tenant-billing'

export type TenantId = string
export type TenantStatus = 'active' | 'suspended' | 'deleted'
/** own: the tenant's own upstream key from the vault. shared: a share of the platform key. */
export type KeyMode = 'own' | 'shared'

/** Every limit is optional: absent means unlimited. */
export interface TenantLimits {
  requestsPerMinute?: number
  solvesPerDay?: number
  maxConcurrent?: number
  monthlyBudgetMicros?: Micros
}

/** What the tenant is billed. */
export type PricePlan =
  | { kind: 'unit'; prices: Record<CaptchaType, Micros>; monthlyMinimumMicros?: Micros }
  | { kind: 'markup'; markupBps: number; monthlyMinimumMicros?: Micros }

export interface AlertThresholds {
  /** Percentages of the daily limit and the monthly budget, ascending, e.g. [80, 95, 100]. */
  percents: number[]
}

export interface Tenant {
  id: TenantId
  name: string
  status: TenantStatus
  keyMode: KeyMode
  limits: TenantLimits
  pricePlan: PricePlan
  /** IANA zone, e.g. "Europe/Berlin". Days and months are this zone's. */
  timezone: string
  alertThresholds: AlertThresholds
  /** Weight of this tenant's share of the shared key's threads (default 1). */
  shareWeight: number
  notes: string
  /** Prepaid/postpaid, buyer details and tax (absent on tenants stored before: postpaid, no details). */
  billing?: TenantBilling
  createdAt: string
  updatedAt: string
}

export const DEFAULT_ALERT_PERCENTS = [80, 95, 100]
