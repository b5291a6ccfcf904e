/** The prepaid-credit channels of the IPC contract (spread into `contract` in ipc-contract.ts). */
import { z } from 'zod'

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'not an id')

const creditBalanceSchema = z.object({
  tenantId: z.string(),
  prepaid: z.boolean(),
  boughtMicros: z.number().int(),
  usedMicros: z.number().int(),
  leftMicros: z.number().int(),
  reservedMicros: z.number().int(),
  availableMicros: z.number().int(),
})

const creditEntrySchema = z.object({
  id: z.number().int(),
  tenantId: z.string(),
  kind: z.enum(['top_up', 'refund', 'adjustment']),
  amountMicros: z.number().int(),
  reference: z.string(),
  note: z.string(),
  actor: z.string(),
  at: z.number(),
})

export const creditChannels = {
  /** Every tenant's credit (prepaid or not) and what its client reads as its balance. */
  'credit.balances': {
    input: z.object({}).strict(),
    output: z.array(creditBalanceSchema.extend({ gatewayBalanceMicros: z.number().int() })),
  },
  'credit.entries': {
    input: z.object({ tenantId: id, limit: z.number().int().min(1).max(1000).optional() }).strict(),
    output: z.array(creditEntrySchema),
  },
  /** A top-up, refund or adjustment; the same reference again is stored once (duplicate: true). */
  'credit.record': {
    input: z
      .object({
        tenantId: id,
        kind: z.enum(['top_up', 'refund', 'adjustment']),
        amountMicros: z
          .number()
          .int('whole micro-units')
          .min(-1_000_000_000_000)
          .max(1_000_000_000_000)
          .refine((v) => v !== 0, 'the amount cannot be 0'),
        reference: z.string().trim().min(1, 'a reference is required (e.g. the payment id)').max(100),
        note: z.string().max(500).default(''),
      })
      .strict(),
    output: z.object({ entry: creditEntrySchema, duplicate: z.boolean(), balance: creditBalanceSchema }),
  },
}
