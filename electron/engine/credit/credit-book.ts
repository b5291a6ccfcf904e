/**
 * Prepaid credit per tenant, in integer micros.
 *
 * - Bought: the sum of the tenant's entries (top-ups +, refunds −, adjustments ±), append-only rows that are
 *   idempotent by reference: the same reference twice is stored once (a different amount under a used reference is
 *   refused).
 * - Used: the billed price of solved attempts that were admitted while the tenant was prepaid (the ledger's rows,
 *   by their admission time inside a prepaid period).
 * - Left = bought − used; reserved = prices held by solves in flight; available = left − reserved.
 *
 * Admission holds a solve's price against `available` in one synchronous step (`hold`), so concurrent solves can
 * never take the credit below zero; refunds and negative adjustments are refused when they would. Holds live in
 * memory and end with the solve (`unhold`): a solved one turns into used credit, anything else gives it back.
 */
import { billingOf } from '@shared/tenant-billing'
import type { Micros } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import type { AuditLog } from '../audit/audit-log'
import { ConflictError, ValidationError } from '../errors/engine-errors'
import type { Database } from '../db/database'
import type { Ledger } from '../ledger/types'
import { migrateCredit } from './schema'

export type CreditKind = 'top_up' | 'refund' | 'adjustment'

export interface CreditEntry {
  id: number
  tenantId: string
  kind: CreditKind
  /** Signed: top-ups positive, refunds negative, adjustments either. */
  amountMicros: Micros
  reference: string
  note: string
  actor: string
  at: number
}

export interface CreditBalance {
  tenantId: string
  prepaid: boolean
  boughtMicros: Micros
  usedMicros: Micros
  leftMicros: Micros
  reservedMicros: Micros
  availableMicros: Micros
}

export interface CreditInput {
  tenantId: string
  kind: CreditKind
  /** Top-up and refund: the positive amount; adjustment: signed (a negative one takes credit away). */
  amountMicros: Micros
  reference: string
  note?: string
  actor: string
}

export interface CreditBook {
  record(input: CreditInput): { entry: CreditEntry; duplicate: boolean }
  entries(tenantId: string, limit?: number): CreditEntry[]
  balance(tenantId: string): CreditBalance
  /** Credit used by solves that ended in [from, to). */
  usedBetween(tenantId: string, fromMs: number, toMs: number): Micros
  /** Credit left as the ledger stood at `at` (entries and settlements recorded up to then). */
  leftAt(tenantId: string, at: number): Micros
  /** Opens or closes the tenant's prepaid period to match its billing mode. */
  syncMode(tenant: Tenant, at: number): void
  /** Whether an attempt admitted at `at` drew on the credit. */
  prepaidAt(tenantId: string, at: number): boolean
  /** Holds `micros` for a solve admitted now; false when the credit available is short. */
  hold(tenantId: string, micros: Micros): boolean
  /** Ends a hold: a solve's price becomes used credit; otherwise the hold is given back. */
  unhold(tenantId: string, heldMicros: Micros, usedMicros: Micros): void
  /** A hold for an attempt a previous process left open (never refused: the work is already upstream). */
  adoptHold(tenantId: string, micros: Micros): void
  onChange(listener: (tenantId: string) => void): () => void
}

interface State {
  bought: number
  used: number
  reserved: number
}

const MAX_MICROS = 1_000_000_000_000
const REFERENCE = /^[\p{L}\p{N} ._:/#-]{1,100}$/u

export function openCreditBook(
  db: Database,
  options: { ledger: Pick<Ledger, 'solvedPriceCreatedIn'>; now?: () => number; audit?: AuditLog },
): CreditBook {
  migrateCredit(db)
  const now = options.now ?? Date.now
  const q = {
    insert: db.prepare(
      'INSERT INTO credit_entries (tenant_id, kind, amount_micros, reference, note, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *',
    ),
    byRef: db.prepare('SELECT * FROM credit_entries WHERE tenant_id = ? AND reference = ?'),
    list: db.prepare('SELECT * FROM credit_entries WHERE tenant_id = ? ORDER BY id DESC LIMIT ?'),
    bought: db.prepare(
      'SELECT COALESCE(SUM(amount_micros), 0) AS v FROM credit_entries WHERE tenant_id = ? AND at <= ?',
    ),
    periods: db.prepare('SELECT started_at, ended_at FROM credit_periods WHERE tenant_id = ?'),
    openPeriod: db.prepare('SELECT started_at FROM credit_periods WHERE tenant_id = ? AND ended_at IS NULL'),
    startPeriod: db.prepare('INSERT INTO credit_periods (tenant_id, started_at) VALUES (?, ?)'),
    endPeriod: db.prepare('UPDATE credit_periods SET ended_at = ? WHERE tenant_id = ? AND ended_at IS NULL'),
    reopenEmpty: db.prepare(
      'UPDATE credit_periods SET ended_at = NULL WHERE tenant_id = ?1 AND started_at = ?2 AND ended_at = ?2',
    ),
    lastEnd: db.prepare('SELECT MAX(ended_at) AS v FROM credit_periods WHERE tenant_id = ?'),
    periodAt: db.prepare(
      'SELECT 1 FROM credit_periods WHERE tenant_id = ? AND started_at <= ? AND (ended_at IS NULL OR ended_at > ?)',
    ),
  }
  const states = new Map<string, State>()
  /** tenant → start of its open prepaid period (null: postpaid now); loaded on first use. */
  const open = new Map<string, number | null>()
  /** tenant → the latest end of its closed prepaid periods (MIN_SAFE_INTEGER: none); loaded on first use. */
  const lastEnd = new Map<string, number>()
  const listeners = new Set<(tenantId: string) => void>()
  const changed = (tenantId: string): void => {
    for (const l of listeners) {
      try {
        l(tenantId)
      } catch {
        // a listener (alerts) never undoes a credit change
      }
    }
  }
  const scalar = (stmt: { get(...a: Array<string | number>): unknown }, ...a: Array<string | number>) =>
    Number((stmt.get(...a) as { v: number }).v)
  /** Price of solves admitted while prepaid, recorded up to `settledUpTo`, ended in [from, to): the ledger's sum. */
  const used = (tenantId: string, settledUpTo: number, endedFrom: number, endedTo: number): number => {
    const periods = (q.periods.all(tenantId) as Array<{ started_at: number; ended_at: number | null }>).map(
      (p) => ({
        from: Number(p.started_at),
        to: p.ended_at === null ? Number.MAX_SAFE_INTEGER : Number(p.ended_at),
      }),
    )
    return options.ledger.solvedPriceCreatedIn(tenantId, periods, { settledUpTo, endedFrom, endedTo })
  }
  const usedUpTo = (tenantId: string, at: number): number =>
    used(tenantId, at, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
  const stateOf = (tenantId: string): State => {
    let s = states.get(tenantId)
    if (!s) {
      const at = Number.MAX_SAFE_INTEGER
      s = { bought: scalar(q.bought, tenantId, at), used: usedUpTo(tenantId, at), reserved: 0 }
      states.set(tenantId, s)
    }
    return s
  }
  const openStart = (tenantId: string): number | null => {
    if (!open.has(tenantId)) {
      const row = q.openPeriod.get(tenantId) as { started_at: number } | undefined
      open.set(tenantId, row ? Number(row.started_at) : null)
    }
    return open.get(tenantId)!
  }
  const lastEndOf = (tenantId: string): number => {
    let end = lastEnd.get(tenantId)
    if (end === undefined) {
      const v = (q.lastEnd.get(tenantId) as { v: number | null }).v
      end = v === null ? Number.MIN_SAFE_INTEGER : Number(v)
      lastEnd.set(tenantId, end)
    }
    return end
  }
  const toEntry = (r: Record<string, unknown>): CreditEntry => ({
    id: Number(r.id),
    tenantId: String(r.tenant_id),
    kind: r.kind as CreditKind,
    amountMicros: Number(r.amount_micros),
    reference: String(r.reference),
    note: String(r.note),
    actor: String(r.actor),
    at: Number(r.at),
  })
  const balance = (tenantId: string): CreditBalance => {
    const s = stateOf(tenantId)
    const left = s.bought - s.used
    return {
      tenantId,
      prepaid: openStart(tenantId) !== null,
      boughtMicros: s.bought,
      usedMicros: s.used,
      leftMicros: left,
      reservedMicros: s.reserved,
      availableMicros: left - s.reserved,
    }
  }

  return {
    record(input) {
      const { tenantId, kind, actor } = input
      const reference = String(input.reference ?? '').trim()
      if (!REFERENCE.test(reference))
        throw new ValidationError(
          'A reference is required: 1–100 letters, digits, spaces or . _ : / # - (e.g. the payment id).',
          [{ field: 'reference', message: 'letters, digits, spaces and . _ : / # -, at most 100' }],
        )
      const amount = input.amountMicros
      if (!Number.isSafeInteger(amount) || Math.abs(amount) > MAX_MICROS || amount === 0)
        throw new ValidationError(
          'The amount must be a non-zero whole number of micro-units up to 1,000,000.00.',
          [{ field: 'amountMicros', message: 'non-zero, at most 1,000,000.00' }],
        )
      if ((kind === 'top_up' || kind === 'refund') && amount < 0)
        throw new ValidationError(`A ${kind === 'top_up' ? 'top-up' : 'refund'} amount is positive.`, [
          { field: 'amountMicros', message: 'positive' },
        ])
      const signed = kind === 'refund' ? -amount : amount
      const note = String(input.note ?? '').slice(0, 500)
      const existing = q.byRef.get(tenantId, reference) as Record<string, unknown> | undefined
      if (existing) {
        const e = toEntry(existing)
        if (e.kind !== kind || e.amountMicros !== signed)
          throw new ConflictError(
            `Reference "${reference}" was already used for a ${e.kind.replace('_', '-')} of a different amount; use a new reference.`,
          )
        return { entry: e, duplicate: true }
      }
      const s = stateOf(tenantId)
      if (signed < 0 && s.bought - s.used - s.reserved + signed < 0)
        throw new ValidationError(
          'That would take the credit below zero (credit available, after solves in flight, is less than the amount).',
          [{ field: 'amountMicros', message: 'more than the credit available' }],
        )
      const at = now()
      const row = q.insert.get(tenantId, kind, signed, reference, note, actor, at) as Record<string, unknown>
      s.bought += signed
      const entry = toEntry(row)
      options.audit?.record({
        actor,
        action: `credit.${kind}`,
        subjectType: 'tenant',
        subjectId: tenantId,
        details: { amountMicros: signed, reference, note },
      })
      changed(tenantId)
      return { entry, duplicate: false }
    },
    entries(tenantId, limit = 100) {
      const lim = Math.min(1000, Math.max(1, Math.floor(limit)))
      return (q.list.all(tenantId, lim) as Array<Record<string, unknown>>).map(toEntry)
    },
    balance,
    usedBetween: (tenantId, fromMs, toMs) => used(tenantId, Number.MAX_SAFE_INTEGER, fromMs, toMs),
    leftAt: (tenantId, at) => scalar(q.bought, tenantId, at) - usedUpTo(tenantId, at),
    syncMode(tenant, at) {
      const prepaid = tenant.status !== 'deleted' && billingOf(tenant).mode === 'prepaid'
      const start = openStart(tenant.id)
      if (prepaid && start === null) {
        // Never before the last period's end: after a step back of the clock, an earlier start would overlap it
        // (solves already billed postpaid would turn prepaid). Starting where a period of no length starts, that
        // period goes on instead (its start is the key: the insert threw).
        const from = Math.max(at, lastEndOf(tenant.id))
        if (Number(q.reopenEmpty.run(tenant.id, from).changes) === 1)
          lastEnd.delete(tenant.id) // read again
        else q.startPeriod.run(tenant.id, from)
        open.set(tenant.id, from)
      } else if (!prepaid && start !== null) {
        const end = Math.max(at, start)
        q.endPeriod.run(end, tenant.id)
        open.set(tenant.id, null)
        lastEnd.set(tenant.id, Math.max(lastEndOf(tenant.id), end))
      } else return
      changed(tenant.id)
    },
    prepaidAt(tenantId, at) {
      // Admission asks at every solve, for `now`: after every closed period has ended only the open one can cover
      // `at`, and both are in memory (the query cost a cold index walk per solve on the gateway's path).
      if (at >= lastEndOf(tenantId)) {
        const start = openStart(tenantId)
        return start !== null && start <= at
      }
      return q.periodAt.get(tenantId, at, at) !== undefined
    },
    hold(tenantId, micros) {
      const s = stateOf(tenantId)
      if (s.bought - s.used - s.reserved - micros < 0) return false
      s.reserved += micros
      return true
    },
    unhold(tenantId, held, used) {
      const s = stateOf(tenantId)
      s.reserved = Math.max(0, s.reserved - held)
      if (used > 0) {
        s.used += used
        changed(tenantId)
      }
    },
    adoptHold(tenantId, micros) {
      stateOf(tenantId).reserved += micros
    },
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
