/**
 * The billing part of the operator's settings (schemas and defaults; shared/settings.ts includes them): the seller
 * printed on invoices, invoice numbering and terms, what the gateway's getbalance answers for a tenant without
 * credit or budget, the upstream plan's cost and how it is shared, the default markup and the alert webhook.
 */
import { z } from 'zod'
import { printedText } from './printed-text'

const micros = z.number().int().min(0).max(1_000_000_000_000)

const sellerSchema = z
  .object({
    legalName: printedText(200),
    address: printedText(500),
    taxId: printedText(64),
    paymentInstructions: printedText(1000),
    /** A PNG or JPEG on this machine, printed at the top of every PDF invoice ('' for none). */
    logoPath: printedText(1000),
  })
  .strict()

/** Tokens: {YYYY} year, {YY}, {MM} month, {N…} the year's sequence zero-padded to as many digits as Ns. */
const INVOICE_NUMBER_TOKENS = /\{(YYYY|YY|MM|N+)\}/g

const invoicingSchema = z
  .object({
    numberFormat: z
      .string()
      .trim()
      .min(1)
      .max(40, 'at most 40 characters')
      .regex(/^[A-Za-z0-9_./{} -]+$/, 'letters, digits, - _ . / and the tokens {YYYY} {YY} {MM} {NNNN}')
      .refine((v) => /\{N+\}/.test(v), 'needs the sequence token, e.g. {NNNNNN}')
      .refine(
        (v) => v.replace(INVOICE_NUMBER_TOKENS, '').indexOf('{') === -1,
        'unknown token: use {YYYY} {YY} {MM} {NNNN}',
      ),
    paymentTermsDays: z.number().int().min(0).max(365),
    /** Start every CSV with a UTF-8 byte-order mark (Excel then reads non-Latin names right). */
    csvBom: z.boolean(),
  })
  .strict()

const gatewayBalanceSchema = z
  .object({
    /** For a tenant with neither prepaid credit nor a monthly budget: answer 0, or a fixed amount the operator sets. */
    mode: z.enum(['zero', 'amount']),
    amountMicros: micros,
  })
  .strict()

const costPlanSchema = z
  .object({
    /** per_solve: the price list's cost per solve; thread_seconds: the plan's monthly price shared by thread time. */
    mode: z.enum(['per_solve', 'thread_seconds']),
    planPriceMicros: micros,
    planThreads: z.number().int().min(1).max(100_000),
  })
  .strict()

const alertWebhookSchema = z
  .object({
    /** https:// (or http://) URL on a public address; '' turns the webhook off. */
    url: z
      .string()
      .trim()
      .max(500)
      .refine(
        (v) => v === '' || /^https?:\/\/[^\s]+$/.test(v),
        'the URL must start with https:// or http://',
      ),
  })
  .strict()

export const billingSettingsShape = {
  seller: sellerSchema,
  invoicing: invoicingSchema,
  gatewayBalance: gatewayBalanceSchema,
  costPlan: costPlanSchema,
  /** Markup for new tenants in basis points (5000 = +50 % on cost); null: new tenants get the list prices. */
  defaultMarkupBps: z.number().int().min(0).max(1_000_000).nullable(),
  alertWebhook: alertWebhookSchema,
}

export const DEFAULT_BILLING_SETTINGS = {
  seller: { legalName: '', address: '', taxId: '', paymentInstructions: '', logoPath: '' },
  invoicing: { numberFormat: 'CD-{YYYY}-{NNNNNN}', paymentTermsDays: 14, csvBom: false },
  gatewayBalance: { mode: 'zero', amountMicros: 0 },
  costPlan: { mode: 'per_solve', planPriceMicros: 0, planThreads: 1 },
  defaultMarkupBps: 5000,
  alertWebhook: { url: '' },
} as const satisfies { [K in keyof typeof billingSettingsShape]: z.input<(typeof billingSettingsShape)[K]> }

/** "CD-{YYYY}-{NNNNNN}" + 2026-11, 42 → "CD-2026-000042". */
export function formatInvoiceNumber(format: string, month: string, sequence: number): string {
  return format.replace(INVOICE_NUMBER_TOKENS, (_m, token: string) => {
    if (token === 'YYYY') return month.slice(0, 4)
    if (token === 'YY') return month.slice(2, 4)
    if (token === 'MM') return month.slice(5, 7)
    return String(sequence).padStart(token.length, '0')
  })
}
