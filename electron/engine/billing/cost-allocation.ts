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
import type { Database } from '../ledger/database'

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
  db: Database,
  providerAccount: string,
  fromMs: number,
  toMs: number,
  mode: AllocationMode,
): TenantCostShare[] {
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || fromMs > toMs)
    throw new RangeError('allocateCosts: need fromMs ≤ toMs')
  const rows = db
    .prepare(
      `SELECT tenant_id, captcha_type, COUNT(*) AS solves, SUM(thread_ms) AS thread_ms, SUM(cost_micros) AS cost
       FROM attempts WHERE provider_account = ? AND status = 'solved' AND ended_at >= ? AND ended_at < ?
       GROUP BY tenant_id, captcha_type ORDER BY tenant_id`,
    )
    .all(providerAccount, fromMs, toMs) as Array<{
    tenant_id: string
    captcha_type: CaptchaType
    solves: number
    thread_ms: number
    cost: number
  }>
  const prices = mode.kind === 'price_list' ? { ...DEFAULT_COST_PRICES, ...mode.prices } : undefined
  if (prices) for (const [t, p] of Object.entries(prices)) assertMicros(p, `price of ${t}`)
  const byTenant = new Map<string, TenantCostShare>()
  for (const r of rows) {
    let u = byTenant.get(r.tenant_id)
    if (!u) byTenant.set(r.tenant_id, (u = { tenantId: r.tenant_id, solves: 0, threadMs: 0, costMicros: 0 }))
    u.solves += Number(r.solves)
    u.threadMs += Number(r.thread_ms)
    u.costMicros += prices ? (prices[r.captcha_type] ?? 0) * Number(r.solves) : Number(r.cost)
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
