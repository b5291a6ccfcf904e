/** Per-solve cost from the operator's price list, and the tenant's price from its plan (unit prices or a markup). */
import { DEFAULT_COST_PRICES, DEFAULT_TENANT_PRICES, type CaptchaType } from '@shared/captcha'
import { applyBasisPoints, type Micros } from '@shared/money'
import type { Pricing } from './types'

export function createPricing(
  costPrices: () => Readonly<Record<CaptchaType, Micros>> = () => DEFAULT_COST_PRICES,
): Pricing {
  return {
    costOf: (type) => costPrices()[type] ?? 0,
    priceOf: (tenant, type, cost) =>
      tenant.pricePlan.kind === 'unit'
        ? (tenant.pricePlan.prices[type] ?? DEFAULT_TENANT_PRICES[type])
        : applyBasisPoints(cost, 10_000 + tenant.pricePlan.markupBps),
  }
}
