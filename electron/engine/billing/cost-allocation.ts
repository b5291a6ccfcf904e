/**
 * What each tenant cost the operator on one provider account for a period [fromMs, toMs), in integer micros, from
 * the ledger's solved rows (by end time).
 * - per_solve:  the cost the ledger recorded on each solve (the price list in force at solve time), summed.
 * - price_list: solves per captcha type × a per-solve price list (default: DEFAULT_COST_PRICES in shared/captcha.ts,
 *               the upstream's public per-solve list), for re-pricing a period.
 * - plan:       a fixed plan cost (CaptchaAI sells concurrent threads, not solves) shared by thread-seconds or by
 *               solves.
 *
 * Remainder rule (plan mode), from shared/money `allocateByWeights`: each tenant first gets floor(cost × w / Σw);
 * the micros left over (fewer than the number of tenants) go one each to the largest fractional remainders; equal
 * remainders go to the larger weight, then to the tenant id that sorts first (binary order). Shares therefore
 * always add up exactly to the plan cost. If no tenant has any weight (e.g. every thread time is 0) the cost is
 * shared equally by the same rule; with no usage at all nothing is allocated (an empty list).
 */
import type { CaptchaType } from '@shared/captcha'
import { DEFAULT_COST_PRICES } from '@shared/captcha'
import { allocateByWeights, assertMicros, type Micros } from '@shared/money'
import type { Ledger } from '../ledger/types'

export type AllocationMode =
  | { kind: 'per_solve' }
  | { kind: 'price_list'; prices?: Partial<Record<CaptchaType, Micros>> }
  | { kind: 'plan'; planCostMicros: Micros; by: 'thread_seconds' | 'solves' }

export interface TenantCostShare {
  tenantId: string
  solves: number
  threadMs: number
  costMicros: Micros
}

export function allocateCosts(
  ledger: Pick<Ledger, 'solvedByAccount'>,
  providerAccount: string,
  fromMs: number,
  toMs: number,
  mode: AllocationMode,
): TenantCostShare[] {
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || fromMs > toMs)
    throw new RangeError('allocateCosts: need fromMs ≤ toMs')
  const rows = ledger.solvedByAccount(providerAccount, fromMs, toMs)
  const prices = mode.kind === 'price_list' ? { ...DEFAULT_COST_PRICES, ...mode.prices } : undefined
  if (prices) for (const [t, p] of Object.entries(prices)) assertMicros(p, `price of ${t}`)
  const byTenant = new Map<string, TenantCostShare>()
  for (const r of rows) {
    let u = byTenant.get(r.tenantId)
    if (!u) byTenant.set(r.tenantId, (u = { tenantId: r.tenantId, solves: 0, threadMs: 0, costMicros: 0 }))
    u.solves += r.solves
    u.threadMs += r.threadMs
    u.costMicros += prices ? (prices[r.captchaType] ?? 0) * r.solves : r.costMicros
  }
  // Binary order of tenant ids (the order the remainder rule names), independent of SQLite collation.
  const usage = [...byTenant.values()].sort((a, b) =>
    a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : 0,
  )
  if (mode.kind !== 'plan') return usage
  assertMicros(mode.planCostMicros, 'plan cost')
  if (mode.planCostMicros < 0) throw new RangeError('plan cost must be ≥ 0')
  let weights = usage.map((u) => (mode.by === 'solves' ? u.solves : u.threadMs))
  if (weights.every((w) => w === 0)) weights = weights.map(() => 1)
  const shares = allocateByWeights(mode.planCostMicros, weights)
  return usage.map((u, i) => ({ ...u, costMicros: shares[i]! }))
}
