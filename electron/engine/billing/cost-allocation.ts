/**
 * What each tenant cost the operator on one provider account for a period, in integer micros.
 * - per_solve: the ledger's cost per solve (the price list at solve time), summed.
 * - plan: a fixed plan cost (CaptchaAI sells threads) shared by thread-seconds or by solves.
 * Remainder rule (plan mode): largest remainder; ties go to the larger weight, then to the tenant id that sorts
 * first — so shares always add up exactly to the plan cost.
 */
import { allocateByWeights, type Micros } from '@shared/money'
import type { Database } from '../ledger/database'

export type AllocationMode =
  { kind: 'per_solve' } | { kind: 'plan'; planCostMicros: Micros; by: 'thread_seconds' | 'solves' }

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
  const rows = db
    .prepare(
      `SELECT tenant_id, COUNT(*) AS solves, SUM(thread_ms) AS thread_ms, SUM(cost_micros) AS cost FROM attempts
       WHERE provider_account = ? AND status = 'solved' AND ended_at >= ? AND ended_at < ? GROUP BY tenant_id ORDER BY tenant_id`,
    )
    .all(providerAccount, fromMs, toMs) as Array<{
    tenant_id: string
    solves: number
    thread_ms: number
    cost: number
  }>
  const usage = rows.map((r) => ({
    tenantId: r.tenant_id,
    solves: Number(r.solves),
    threadMs: Number(r.thread_ms),
    cost: Number(r.cost),
  }))
  if (mode.kind === 'per_solve')
    return usage.map((u) => ({
      tenantId: u.tenantId,
      solves: u.solves,
      threadMs: u.threadMs,
      costMicros: u.cost,
    }))
  let weights = usage.map((u) => (mode.by === 'solves' ? u.solves : u.threadMs))
  // Usage with no measurable weight (e.g. all thread times 0): share equally rather than leave cost unallocated.
  if (weights.every((w) => w === 0)) weights = weights.map(() => 1)
  const shares = allocateByWeights(mode.planCostMicros, weights)
  return usage.map((u, i) => ({
    tenantId: u.tenantId,
    solves: u.solves,
    threadMs: u.threadMs,
    costMicros: shares[i]!,
  }))
}
