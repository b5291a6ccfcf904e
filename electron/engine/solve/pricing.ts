/** Per-solve cost from the operator's price list, and the tenant's price from its plan (unit prices or a markup). */
import { DEFAULT_PRICES, type CaptchaType } from '@shared/captcha'
import { applyBasisPoints, type Micros } from '@shared/money'
import type { Pricing } from './types'

export function createPricing(costPrices: () => Record<CaptchaType, Micros> = () => DEFAULT_PRICES): Pricing {
  return {
    costOf: (type) => costPrices()[type] ?? 0,
    priceOf: (tenant, type, cost) =>
      tenant.pricePlan.kind === 'unit'
        ? (tenant.pricePlan.prices[type] ?? DEFAULT_PRICES[type])
        : applyBasisPoints(cost, 10_000 + tenant.pricePlan.markupBps),
  }
}
