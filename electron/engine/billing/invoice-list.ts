/**
 * A month's invoices at a glance, one row per tenant: status (draft, locked, sent, paid with dates), number,
 * totals, prepaid credit, and what the tenant cost the operator — per solve from the price list, or the upstream
 * plan's monthly price shared by thread-seconds (settings) — with the margin that leaves.
 */
import type { Micros } from '@shared/money'
import type { Settings } from '@shared/settings'
import type { Tenant } from '@shared/tenant'
import { billingOf } from '@shared/tenant-billing'
import type { Database } from '../db/database'
import { ConflictError } from '../errors/engine-errors'
import type { Ledger } from '../ledger/types'
import { localMonthBounds } from '../time/zoned'
import { allocateCosts } from './cost-allocation'
import type { Invoice, InvoiceBuilder } from './invoice-builder'

export interface InvoiceListRow {
  tenantId: string
  tenantName: string
  tenantStatus: Tenant['status']
  mode: 'prepaid' | 'postpaid'
  status: Invoice['status']
  number: string | null
  currency: string
  solves: number
  netMicros: Micros
  totalMicros: Micros
  amountDueMicros: Micros
  issueDate: string
  dueDate: string
  credit: Invoice['credit']
  sentAt: number | null
  paidAt: number | null
  /** What the tenant cost: the recorded per-solve cost, or its share of the plan (see `allocation`). */
  costMicros: Micros
  marginMicros: Micros
}

export interface InvoiceList {
  month: string
  allocation: 'per_solve' | 'thread_seconds'
  /** The platform key's account the plan is shared on (null: none set or the vault is locked). */
  planAccount: string | null
  rows: InvoiceListRow[]
}

export function createInvoiceMarks(db: Database, now: () => number) {
  const get = db.prepare('SELECT sent_at, paid_at FROM invoice_marks WHERE tenant_id = ? AND month = ?')
  const upsert = db.prepare(
    `INSERT INTO invoice_marks (tenant_id, month, sent_at, paid_at) VALUES (?, ?, ?, ?)
     ON CONFLICT(tenant_id, month) DO UPDATE SET sent_at = excluded.sent_at, paid_at = excluded.paid_at`,
  )
  const read = (tenantId: string, month: string) => {
    const r = get.get(tenantId, month) as { sent_at: number | null; paid_at: number | null } | undefined
    return { sentAt: r?.sent_at ?? null, paidAt: r?.paid_at ?? null }
  }
  return {
    read,
    /** Marks a locked invoice sent or paid (true: now, false: clears the mark). */
    mark(billing: InvoiceBuilder, tenantId: string, month: string, m: { sent?: boolean; paid?: boolean }) {
      if (!billing.stored(tenantId, month))
        throw new ConflictError('Only a locked invoice can be marked sent or paid; a draft can still change.')
      const cur = read(tenantId, month)
      const at = now()
      const sentAt = m.sent === undefined ? cur.sentAt : m.sent ? (cur.sentAt ?? at) : null
      const paidAt = m.paid === undefined ? cur.paidAt : m.paid ? (cur.paidAt ?? at) : null
      upsert.run(tenantId, month, sentAt, paidAt)
      return { sentAt, paidAt }
    },
  }
}

export function listInvoices(deps: {
  billing: InvoiceBuilder
  ledger: Pick<Ledger, 'solvedByAccount'>
  marks: ReturnType<typeof createInvoiceMarks>
  tenants: Tenant[]
  settings: Settings
  /** `${providerId}:${fingerprint}` of the platform key, when known. */
  planAccount: string | null
  month: string
  now: number
}): InvoiceList {
  const { month, settings } = deps
  const plan = settings.costPlan
  const threadShare = plan.mode === 'thread_seconds' && deps.planAccount !== null
  const shares = new Map<string, Micros>()
  if (threadShare) {
    // The upstream bills its plan by the calendar month (UTC).
    const [from, to] = localMonthBounds(month, 'UTC')
    for (const s of allocateCosts(deps.ledger, deps.planAccount!, from, to, {
      kind: 'plan',
      planCostMicros: plan.planPriceMicros,
      by: 'thread_seconds',
    }))
      shares.set(s.tenantId, s.costMicros)
  }
  const rows: InvoiceListRow[] = []
  for (const t of deps.tenants) {
    let inv: Invoice
    try {
      inv = deps.billing.invoice(t, month)
    } catch (err) {
      if (err instanceof RangeError) continue // the month has not started in this tenant's zone
      throw err
    }
    if (t.status === 'deleted' && inv.solves === 0 && inv.status === 'draft') continue
    const marks = deps.marks.read(t.id, month)
    const cost = threadShare ? (shares.get(t.id) ?? 0) : inv.costMicros
    rows.push({
      tenantId: t.id,
      tenantName: t.name,
      tenantStatus: t.status,
      mode: billingOf(t).mode,
      status: inv.status,
      number: inv.number,
      currency: inv.currency,
      solves: inv.solves,
      netMicros: inv.netMicros,
      totalMicros: inv.totalMicros,
      amountDueMicros: inv.amountDueMicros,
      issueDate: inv.issueDate,
      dueDate: inv.dueDate,
      credit: inv.credit,
      ...marks,
      costMicros: cost,
      marginMicros: inv.netMicros - cost,
    })
  }
  return {
    month,
    allocation: threadShare ? 'thread_seconds' : 'per_solve',
    planAccount: deps.planAccount,
    rows,
  }
}
