/** Invoice fields for the IPC contract beyond the lines and totals: parties, tax, dates, prepaid credit. */
import { z } from 'zod'

const party = {
  legalName: z.string(),
  address: z.string(),
  taxId: z.string(),
}

export const invoiceTermsShape = {
  issueDate: z.string(),
  dueDate: z.string(),
  seller: z.object({ ...party, paymentInstructions: z.string(), logoPath: z.string() }),
  buyer: z.object({ ...party, email: z.string() }),
  taxRateBps: z.number().int(),
  reverseCharge: z.boolean(),
  netMicros: z.number().int(),
  taxMicros: z.number().int(),
  credit: z.object({ usedMicros: z.number().int(), leftMicros: z.number().int() }).nullable(),
  amountDueMicros: z.number().int(),
}

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM')
const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'not an id')
const int = z.number().int()

const invoiceListRow = z.object({
  tenantId: z.string(),
  tenantName: z.string(),
  tenantStatus: z.enum(['active', 'suspended', 'deleted']),
  mode: z.enum(['prepaid', 'postpaid']),
  status: z.enum(['draft', 'locked']),
  number: z.string().nullable(),
  currency: z.string(),
  solves: int,
  netMicros: int,
  totalMicros: int,
  amountDueMicros: int,
  issueDate: z.string(),
  dueDate: z.string(),
  credit: invoiceTermsShape.credit,
  sentAt: z.number().nullable(),
  paidAt: z.number().nullable(),
  costMicros: int,
  marginMicros: int,
})

/** The invoice list channels of the IPC contract (spread into `contract` in ipc-contract.ts). */
export const invoiceChannels = {
  /** A month's invoices, one row per tenant, with status, credit, allocated cost and margin. */
  'billing.list': {
    input: z.object({ month }).strict(),
    output: z.object({
      month: z.string(),
      allocation: z.enum(['per_solve', 'thread_seconds']),
      planAccount: z.string().nullable(),
      rows: z.array(invoiceListRow),
    }),
  },
  /** Marks a locked invoice as sent and/or paid (true: now; false: clears). */
  'billing.mark': {
    input: z
      .object({ tenantId: id, month, sent: z.boolean().optional(), paid: z.boolean().optional() })
      .strict(),
    output: z.object({ sentAt: z.number().nullable(), paidAt: z.number().nullable() }),
  },
}

/** The alert webhook's signing secret: its last 4 characters, or (after `rotate`) the new secret, shown once. */
export const webhookChannels = {
  'alerts.webhookSecret': {
    input: z.object({ rotate: z.boolean().default(false) }).strict(),
    output: z.object({ hint: z.string(), secret: z.string().nullable() }),
  },
}
