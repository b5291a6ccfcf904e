/** Input schemas for creating and updating tenants (used by the engine, the IPC contract and the console). */
import { z } from 'zod'
import { CAPTCHA_TYPES, CAPTCHA_TYPES_ADDED_LATER, DEFAULT_TENANT_PRICES } from './captcha'
import { tenantBillingSchema } from './tenant-billing'
import { canonicalTimeZone, timeZoneProblem } from './time-zones'

const MAX_MICROS = 1_000_000_000_000 // 1,000,000 USD
const micros = (what: string) =>
  z
    .number()
    .int(`${what} must be whole micro-units`)
    .min(0, `${what} cannot be negative`)
    .max(MAX_MICROS, `${what} is absurdly large (max 1,000,000.00)`)

export const tenantLimitsSchema = z
  .object({
    requestsPerMinute: z
      .number()
      .int('a whole number')
      .min(1, 'at least 1')
      .max(100_000, 'at most 100,000')
      .optional(),
    solvesPerDay: z
      .number()
      .int('a whole number')
      .min(1, 'at least 1')
      .max(10_000_000, 'at most 10,000,000')
      .optional(),
    maxConcurrent: z
      .number()
      .int('a whole number')
      .min(1, 'at least 1')
      .max(10_000, 'at most 10,000')
      .optional(),
    monthlyBudgetMicros: micros('the monthly budget').optional(),
  })
  .strict()

/** Every type has a price; one added in a later version (missing from a plan saved before it) gets the default. */
const unitPricesSchema = z.object(
  Object.fromEntries(
    CAPTCHA_TYPES.map((t) => [
      t,
      CAPTCHA_TYPES_ADDED_LATER.has(t)
        ? micros(`the ${t} price`).default(DEFAULT_TENANT_PRICES[t])
        : micros(`the ${t} price`),
    ]),
  ) as Record<(typeof CAPTCHA_TYPES)[number], ReturnType<typeof micros>>,
)

const pricePlanSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('unit'),
      prices: unitPricesSchema,
      monthlyMinimumMicros: micros('the monthly minimum').optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('markup'),
      markupBps: z
        .number()
        .int()
        .min(0, 'the markup cannot be negative')
        .max(1_000_000, 'the markup is at most 10,000 %'),
      monthlyMinimumMicros: micros('the monthly minimum').optional(),
    })
    .strict(),
])

const alertThresholdsSchema = z
  .object({
    percents: z
      .array(z.number().int().min(1).max(100))
      .min(1)
      .max(10)
      .refine(
        (a) => a.every((v, i) => i === 0 || v > a[i - 1]!),
        'thresholds must be ascending and distinct',
      ),
  })
  .strict()

/** A zone the console's picker offers (UTC and Etc/ included), stored in the list's spelling. */
const timezone = z
  .string()
  .trim()
  .min(1, 'pick a time zone')
  .max(64, 'at most 64 characters')
  .superRefine((v, ctx) => {
    const problem = timeZoneProblem(v)
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })
  .transform((v) => canonicalTimeZone(v) ?? v)

/** Control characters (CR, LF, TAB, NUL…) are refused wherever they are, not trimmed away silently. */
const name = z
  .string()
  .refine(
    (v) => ![...v].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127),
    'no control characters (line breaks, tabs…)',
  )
  .trim()
  .min(1, 'a name is required')
  .max(100, 'at most 100 characters')

export const tenantCreateSchema = z
  .object({
    name,
    keyMode: z.enum(['own', 'shared']).default('shared'),
    limits: tenantLimitsSchema.default({}),
    pricePlan: pricePlanSchema.optional(),
    timezone: timezone.default('UTC'),
    alertThresholds: alertThresholdsSchema.optional(),
    shareWeight: z.number().int().min(1, 'at least 1').max(1000, 'at most 1000').default(1),
    notes: z.string().max(2000, 'at most 2000 characters').default(''),
    billing: tenantBillingSchema.optional(),
  })
  .strict()

export const tenantUpdateSchema = z
  .object({
    name: name.optional(),
    keyMode: z.enum(['own', 'shared']).optional(),
    limits: tenantLimitsSchema.optional(),
    pricePlan: pricePlanSchema.optional(),
    timezone: timezone.optional(),
    alertThresholds: alertThresholdsSchema.optional(),
    shareWeight: z.number().int().min(1).max(1000).optional(),
    notes: z.string().max(2000).optional(),
    billing: tenantBillingSchema.optional(),
  })
  .strict()

export type TenantCreateInput = z.input<typeof tenantCreateSchema>
export type TenantUpdateInput = z.input<typeof tenantUpdateSchema>

/** A stored tenant, as replies carry it. */
export const tenantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    status: z.enum(['active', 'suspended', 'deleted']),
    keyMode: z.enum(['own', 'shared']),
    limits: tenantLimitsSchema,
    pricePlan: pricePlanSchema,
    timezone: z.string(),
    alertThresholds: alertThresholdsSchema,
    shareWeight: z.number().int(),
    notes: z.string(),
    billing: tenantBillingSchema.optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .strict()
