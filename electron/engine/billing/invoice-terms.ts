/**
 * What turns a month's lines into an invoice someone can send: seller and buyer details, tax (a rate, or a
 * reverse-charge note), issue and due dates from the payment terms, and — for prepaid tenants — the credit used in
 * the period and left at its cut-off. Drafts take these live (settings, tenant); a locked invoice stores them.
 */
import type { Micros } from '@shared/money'
import { applyBasisPoints } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import { billingOf } from '@shared/tenant-billing'
import { localDateOf } from '../time/zoned'

export interface SellerDetails {
  legalName: string
  address: string
  taxId: string
  paymentInstructions: string
  logoPath: string
}

export interface BuyerDetails {
  legalName: string
  address: string
  taxId: string
  email: string
}

export interface InvoiceTerms {
  seller: SellerDetails
  numberFormat: string
  paymentTermsDays: number
}

export interface CreditSource {
  usedBetween(tenantId: string, fromMs: number, toMs: number): Micros
  leftAt(tenantId: string, at: number): Micros
  prepaidAt(tenantId: string, at: number): boolean
}

/** The fields an invoice gains from its terms (absent on invoices locked before they existed: see `withTerms`). */
export interface InvoiceExtras {
  issueDate: string
  dueDate: string
  seller: SellerDetails
  buyer: BuyerDetails
  taxRateBps: number
  reverseCharge: boolean
  /** Lines (usage, late usage, minimum) before tax. */
  netMicros: Micros
  taxMicros: Micros
  credit: { usedMicros: Micros; leftMicros: Micros } | null
  /** Total less the prepaid credit that already paid for the usage. */
  amountDueMicros: Micros
}

const EMPTY_SELLER: SellerDetails = {
  legalName: '',
  address: '',
  taxId: '',
  paymentInstructions: '',
  logoPath: '',
}
export const DEFAULT_TERMS: InvoiceTerms = {
  seller: EMPTY_SELLER,
  numberFormat: 'CD-{YYYY}-{NNNNNN}',
  paymentTermsDays: 14,
}

export const REVERSE_CHARGE_NOTE =
  'Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC).'

/** "2026-11-30" + 14 → "2026-12-14". */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10)
}

export function extrasFor(
  tenant: Tenant,
  netMicros: Micros,
  issuedAt: number,
  period: [number, number],
  terms: InvoiceTerms,
  credit: CreditSource | undefined,
): InvoiceExtras {
  const b = billingOf(tenant)
  const taxRateBps = b.reverseCharge ? 0 : b.taxRateBps
  const taxMicros = applyBasisPoints(netMicros, taxRateBps)
  const total = netMicros + taxMicros
  const issueDate = localDateOf(issuedAt, tenant.timezone)
  let c: InvoiceExtras['credit'] = null
  if (credit) {
    const usedMicros = credit.usedBetween(tenant.id, period[0], period[1])
    if (usedMicros > 0 || b.mode === 'prepaid' || credit.prepaidAt(tenant.id, period[0]))
      c = { usedMicros, leftMicros: credit.leftAt(tenant.id, issuedAt) }
  }
  return {
    issueDate,
    dueDate: addDays(issueDate, terms.paymentTermsDays),
    seller: { ...terms.seller },
    buyer: { ...b.buyer },
    taxRateBps,
    reverseCharge: b.reverseCharge,
    netMicros,
    taxMicros,
    credit: c,
    amountDueMicros: Math.max(0, total - Math.min(total, c?.usedMicros ?? 0)),
  }
}

/** An invoice stored before terms existed, read with neutral terms (no tax, no parties, due on issue). */
export function withTerms<
  T extends { totalMicros: Micros; lockedAt: number | null; cutoffAt: number; timezone: string },
>(inv: T & Partial<InvoiceExtras>): T & InvoiceExtras {
  if (inv.issueDate !== undefined) return inv as T & InvoiceExtras
  const issueDate = localDateOf(inv.lockedAt ?? inv.cutoffAt, inv.timezone)
  return {
    ...inv,
    issueDate,
    dueDate: issueDate,
    seller: EMPTY_SELLER,
    buyer: { legalName: '', address: '', taxId: '', email: '' },
    taxRateBps: 0,
    reverseCharge: false,
    netMicros: inv.totalMicros,
    taxMicros: 0,
    credit: null,
    amountDueMicros: inv.totalMicros,
  }
}
