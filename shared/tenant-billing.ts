/**
 * A tenant's billing terms (schemas shared by the engine, the IPC contract and the console): prepaid credit or
 * postpaid invoicing, the buyer's details printed on invoices, and the tax rate or a reverse-charge note.
 */
import { z } from 'zod'
import { printedText } from './printed-text'

const BILLING_MODES = ['prepaid', 'postpaid'] as const
export type BillingMode = (typeof BILLING_MODES)[number]

const buyerSchema = z
  .object({
    legalName: printedText(200).default(''),
    address: printedText(500).default(''),
    taxId: printedText(64).default(''),
    email: z.union([z.literal(''), z.email('an e-mail address').max(200)]).default(''),
  })
  .strict()

export const tenantBillingSchema = z
  .object({
    /** prepaid: solves draw on bought credit and stop at zero; postpaid: invoiced monthly (optional budget). */
    mode: z.enum(BILLING_MODES).default('postpaid'),
    buyer: buyerSchema.default({ legalName: '', address: '', taxId: '', email: '' }),
    /** Tax on the invoice in basis points (2000 = 20 %). */
    taxRateBps: z
      .number()
      .int('a whole number of basis points')
      .min(0, 'the tax rate cannot be negative')
      .max(10_000, 'the tax rate is at most 100 %')
      .default(0),
    /** EU B2B: no tax charged, the buyer accounts for it; the note is printed on the invoice. */
    reverseCharge: z.boolean().default(false),
    /** A low-credit alert is raised when a prepaid tenant's credit left falls below this (micros). */
    lowCreditMicros: z.number().int().min(0).max(1_000_000_000_000).default(1_000_000),
  })
  .strict()
  .refine((b) => !(b.reverseCharge && b.taxRateBps > 0), {
    message: 'reverse charge means no tax on the invoice: set the tax rate to 0',
    path: ['taxRateBps'],
  })

export type TenantBilling = z.output<typeof tenantBillingSchema>
export type TenantBillingInput = z.input<typeof tenantBillingSchema>

export const DEFAULT_TENANT_BILLING: TenantBilling = {
  mode: 'postpaid',
  buyer: { legalName: '', address: '', taxId: '', email: '' },
  taxRateBps: 0,
  reverseCharge: false,
  lowCreditMicros: 1_000_000,
}

/** A tenant's terms, the defaults where the stored tenant predates them. */
export function billingOf(tenant: { billing?: TenantBilling }): TenantBilling {
  return tenant.billing ?? DEFAULT_TENANT_BILLING
}
