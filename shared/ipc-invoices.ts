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
