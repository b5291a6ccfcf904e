/**
 * The single typed IPC contract (Heroic-style): every channel's input and output schema, and the events main sends.
 * Electron's ipcMain handlers and the headless host's HTTP bridge both serve exactly this.
 */
import { z } from 'zod'
import { captchaRequestSchema } from './captcha-schema'
import { settingsPatchSchema, settingsSchema } from './settings'
import { tenantCreateSchema, tenantLimitsSchema, tenantSchema, tenantUpdateSchema } from './tenant-schema'
import type { Channel, EventName } from './ipc-channels'
import { creditChannels } from './ipc-credit'
import { invoiceChannels, invoiceTermsShape, webhookChannels } from './ipc-invoices'
import { PASSPHRASE_MAX_LENGTH, PASSPHRASE_MIN_LENGTH } from './passphrase'

export { isChannel, type Channel, type EventName } from './ipc-channels'

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'not an id')
const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM')
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
const passphrase = z.string().min(1, 'enter the passphrase').max(PASSPHRASE_MAX_LENGTH)
const newPassphrase = z
  .string()
  .min(PASSPHRASE_MIN_LENGTH, `at least ${PASSPHRASE_MIN_LENGTH} characters`)
  .max(PASSPHRASE_MAX_LENGTH)
const upstreamKey = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9]{32}$/, 'an API key is 32 letters and digits')
const label = z.string().trim().max(80).default('')
const empty = z.object({}).strict()
const micros = z.number().int()

const solveResult = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('solved'),
    attemptId: z.string(),
    taskId: z.string(),
    answer: z.string(),
    threadMs: z.number(),
    priceMicros: micros,
    costMicros: micros,
  }),
  z.object({
    status: z.literal('rejected'),
    attemptId: z.string(),
    limit: z.string(),
    message: z.string(),
    retryAfterMs: z.number(),
  }),
  z.object({
    status: z.enum(['failed', 'timed_out', 'cancelled']),
    attemptId: z.string(),
    taskId: z.string().nullable(),
    code: z.string(),
    message: z.string(),
    keyProblem: z.boolean(),
  }),
])

const invoiceLine = z.object({
  kind: z.enum(['usage', 'late_usage', 'minimum']),
  fromMonth: z.string(),
  captchaType: z.string().nullable(),
  description: z.string(),
  quantity: z.number().int(),
  unitPriceMicros: micros,
  amountMicros: micros,
  costMicros: micros,
  threadMs: z.number(),
})
const invoice = z.object({
  tenantId: z.string(),
  tenantName: z.string(),
  month: z.string(),
  timezone: z.string(),
  currency: z.string(),
  status: z.enum(['draft', 'locked']),
  number: z.string().nullable(),
  lockedAt: z.number().nullable(),
  cutoffAt: z.number(),
  periodStartUtc: z.string(),
  periodEndUtc: z.string(),
  periodStartLocal: z.string(),
  periodEndLocal: z.string(),
  lines: z.array(invoiceLine),
  solves: z.number().int(),
  costMicros: micros,
  subtotalMicros: micros,
  totalMicros: micros,
  marginMicros: micros,
  ...invoiceTermsShape,
})
const usageRow = z.object({
  period: z.string(),
  tenantId: z.string(),
  solves: z.number().int(),
  failures: z.number().int(),
  failuresByCode: z.record(z.string(), z.number()),
  rejections: z.number().int(),
  rejectionsByCode: z.record(z.string(), z.number()),
  threadMs: z.number(),
  costMicros: micros,
  priceMicros: micros,
  marginMicros: micros,
})
const balanceCheck = z.object({
  account: z.string(),
  label: z.string(),
  checkedAt: z.number(),
  balanceMicros: micros.nullable(),
  errorCode: z.string().nullable(),
})
const alert = z.object({
  id: z.number(),
  subject: z.string(),
  kind: z.enum(['daily_limit', 'monthly_budget', 'low_balance', 'low_credit']),
  threshold: z.number(),
  period: z.string(),
  raisedAt: z.number(),
  resolvedAt: z.number().nullable(),
  value: z.number(),
  message: z.string(),
  acknowledgedAt: z.number().nullable(),
})
const auditEntry = z.object({
  id: z.number(),
  at: z.number(),
  actor: z.string(),
  action: z.string(),
  subjectType: z.string(),
  subjectId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
})
const gatewayStatus = z.object({
  running: z.boolean(),
  url: z.string().nullable(),
  port: z.number().nullable(),
  allowLan: z.boolean(),
  /** Serving is switched on: it resumes by itself whenever the keys are available. */
  enabled: z.boolean(),
  /** The truth for the frame: serving, off, or listening but unable to solve (reason says why). */
  serving: z.enum(['on', 'off', 'cannot_solve']),
  reason: z.string().nullable(),
  /** Hosts-file mode's HTTPS listener, when on. */
  httpsUrl: z.string().nullable().optional(),
})
const gatewayBan = z.object({
  source: z.string(),
  until: z.number(),
  failures: z.number(),
  distinctKeys: z.number(),
})
const gatewayFailure = z.object({
  source: z.string(),
  keyFingerprint: z.string(),
  failures: z.number(),
  lastAt: z.number(),
})

const gatewayKeyInfo = z.object({
  tenantId: z.string(),
  last4: z.string(),
  createdAt: z.number(),
  expiresAt: z.number().nullable(),
})
const issuedGatewayKey = z.object({ key: z.string().length(32), info: gatewayKeyInfo })
/** Issuing or rotating a tenant's gateway key: the key issued before keeps working for `graceHours` (default 24). */
const gatewayKeyIssue = z
  .object({
    tenantId: id,
    graceHours: z
      .number()
      .int()
      .min(0)
      .max(24 * 30)
      .default(24),
  })
  .strict()

const vaultStatus = z.object({
  exists: z.boolean(),
  unlocked: z.boolean(),
  deviceUnlock: z.boolean(),
  kdf: z.string().nullable(),
})
const keyInfo = z.object({
  scope: z.enum(['platform', 'tenant']),
  tenantId: z.string().nullable(),
  label: z.string(),
  last4: z.string().length(4),
  fingerprint: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
})

export const contract = {
  'app.status': {
    input: empty,
    output: z.object({
      vault: vaultStatus,
      provider: z.object({ id: z.string(), label: z.string(), baseUrl: z.string() }),
      sandbox: z.boolean(),
      gateway: gatewayStatus,
      version: z.string(),
    }),
  },
  'vault.status': { input: empty, output: vaultStatus },
  'vault.create': {
    input: z.object({ passphrase: newPassphrase }).strict(),
    output: vaultStatus,
  },
  'vault.unlock': {
    // acceptOlderVault: open a copy older than the last one written (restored from a backup on purpose; audited).
    input: z.object({ passphrase, acceptOlderVault: z.boolean().optional() }).strict(),
    output: vaultStatus,
  },
  'vault.lock': { input: empty, output: vaultStatus },
  'vault.changePassphrase': {
    input: z
      .object({
        oldPassphrase: passphrase,
        newPassphrase,
      })
      .strict(),
    output: vaultStatus,
  },
  /** Re-encrypts every key under a fresh data key (after a suspected compromise); the passphrase stays the same. */
  'vault.rotateDataKey': { input: z.object({ passphrase }).strict(), output: vaultStatus },
  'vault.unlockWithDevice': { input: empty, output: vaultStatus },
  'vault.setDeviceUnlock': { input: z.object({ enabled: z.boolean() }).strict(), output: vaultStatus },
  'vault.describeKeys': { input: empty, output: z.array(keyInfo) },
  'vault.setPlatformKey': { input: z.object({ key: upstreamKey, label }).strict(), output: keyInfo },
  'vault.removePlatformKey': { input: empty, output: z.object({ removed: z.boolean() }) },
  'vault.setTenantKey': {
    input: z.object({ tenantId: id, key: upstreamKey, label }).strict(),
    output: keyInfo,
  },
  'vault.removeTenantKey': {
    input: z.object({ tenantId: id }).strict(),
    output: z.object({ removed: z.boolean() }),
  },
  'tenants.list': {
    input: z
      .object({ search: z.string().max(100).optional(), includeDeleted: z.boolean().optional() })
      .strict(),
    output: z.array(tenantSchema),
  },
  'tenants.get': { input: z.object({ id }).strict(), output: tenantSchema },
  'tenants.create': { input: tenantCreateSchema, output: tenantSchema },
  'tenants.update': { input: z.object({ id, patch: tenantUpdateSchema }).strict(), output: tenantSchema },
  'tenants.suspend': { input: z.object({ id }).strict(), output: tenantSchema },
  'tenants.resume': { input: z.object({ id }).strict(), output: tenantSchema },
  'tenants.delete': { input: z.object({ id }).strict(), output: tenantSchema },
  'solve.test': {
    input: z
      .object({
        tenantId: id,
        request: captchaRequestSchema,
        timeoutSeconds: z.number().int().min(5).max(600).optional(),
      })
      .strict(),
    output: solveResult,
  },
  'solve.cancel': {
    input: z.object({ attemptId: z.uuid('an attempt id from solve.progress') }).strict(),
    output: z.object({ cancelled: z.boolean() }),
  },
  'usage.dashboard': {
    input: empty,
    output: z.object({
      tenants: z.array(
        z.object({
          tenantId: z.string(),
          name: z.string(),
          status: z.enum(['active', 'suspended', 'deleted']),
          keyMode: z.enum(['own', 'shared']),
          limits: tenantLimitsSchema,
          today: z.object({
            date: z.string(),
            counted: z.number().int(),
            solves: z.number().int(),
            failures: z.number().int(),
            rejections: z.number().int(),
          }),
          month: z.object({
            month: z.string(),
            spentMicros: micros,
            costMicros: micros,
            reservedMicros: micros,
            solves: z.number().int(),
          }),
          inFlight: z.number().int(),
        }),
      ),
      sharedThreads: z.object({
        /** The platform plan's threads shared among shared-mode tenants (null: no cap set). */
        capacity: z.number().int().nullable(),
        /** Shared threads CaptchaDesk holds right now. */
        inUse: z.number().int().nullable(),
        /** Threads the upstream reports busy on the platform key (known for the Sandbox only). */
        upstreamInUse: z.number().int().nullable(),
      }),
      balances: z.array(balanceCheck),
      alerts: z.array(alert),
    }),
  },
  'usage.byDay': {
    input: z.object({ tenantId: z.union([id, z.literal('all')]), from: date, to: date }).strict(),
    output: z.array(usageRow),
  },
  'balances.check': { input: empty, output: z.array(balanceCheck) },
  'balances.history': {
    input: z
      .object({
        account: z.string().max(100).optional(),
        limit: z.number().int().min(1).max(1000).optional(),
      })
      .strict(),
    output: z.array(balanceCheck),
  },
  'billing.preview': { input: z.object({ month, tenantId: id }).strict(), output: invoice },
  'billing.export': {
    input: z
      .object({ month, tenantId: id.nullable(), format: z.enum(['csv', 'pdf', 'both']).default('csv') })
      .strict(),
    output: z.object({
      files: z.array(z.object({ name: z.string(), url: z.string().nullable(), path: z.string().nullable() })),
      rows: z.number(),
    }),
  },
  ...creditChannels,
  ...invoiceChannels,
  ...webhookChannels,
  'alerts.list': { input: z.object({ activeOnly: z.boolean().optional() }).strict(), output: z.array(alert) },
  'alerts.ack': {
    input: z.object({ id: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }).strict(),
    output: alert,
  },
  'audit.list': {
    input: z
      .object({
        limit: z.number().int().min(1).max(1000).optional(),
        beforeId: z.number().int().optional(),
        /** Only entries about this subject (a tenant id). */
        subjectId: z.string().min(1).max(200).optional(),
        /** One action ("vault.lock") or a family ending in a dot ("tenant."). */
        action: z
          .string()
          .regex(/^[a-zA-Z][a-zA-Z0-9_.]{0,99}$/, 'an action such as vault.lock or tenant.')
          .optional(),
        /** Epoch ms: from (inclusive) and to (exclusive). */
        from: z.number().int().min(0).optional(),
        to: z.number().int().min(0).optional(),
      })
      .strict(),
    output: z.array(auditEntry),
  },
  'settings.get': { input: empty, output: settingsSchema },
  'settings.update': { input: settingsPatchSchema, output: settingsSchema },
  'gateway.status': {
    input: empty,
    output: gatewayStatus.extend({ keys: z.array(gatewayKeyInfo) }),
  },
  'gateway.start': { input: empty, output: gatewayStatus },
  'gateway.stop': { input: empty, output: gatewayStatus },
  /** A new key; a key issued before keeps working for the grace period (default 24 h, as rotation). */
  'gateway.issueKey': {
    input: gatewayKeyIssue,
    output: issuedGatewayKey,
  },
  /** Sources refused for bad keys now, and recent failures by source and presented key (fingerprints only). */
  'gateway.bans': {
    input: empty,
    output: z.object({ bans: z.array(gatewayBan), failures: z.array(gatewayFailure) }),
  },
  'gateway.liftBan': {
    input: z.object({ source: z.string().min(1).max(100) }).strict(),
    output: z.object({ lifted: z.boolean() }),
  },
  /** A new key now; the old one keeps working for the grace period (default 24 h) so the tenant can switch. */
  'gateway.rotateKey': {
    input: gatewayKeyIssue,
    output: issuedGatewayKey,
  },
  'gateway.revokeKey': {
    input: z.object({ tenantId: id }).strict(),
    output: z.object({ revoked: z.number() }),
  },
  /** Hosts-file mode: the local CA's certificate (public; its key never leaves the engine) and the covered names. */
  'gateway.caCertificate': {
    input: empty,
    output: z.object({
      certPem: z.string(),
      fingerprint256: z.string(),
      subject: z.string(),
      validTo: z.string(),
      names: z.array(z.string()),
      fileName: z.string(),
    }),
  },
  // ── console (issue 15): key check before saving, a tenant's recent attempts ──
  /** Before a tenant key is saved: is it the platform key or another tenant's (by fingerprint), and its balance. */
  'vault.checkTenantKey': {
    input: z.object({ tenantId: id, key: upstreamKey }).strict(),
    output: z.object({
      sameAs: z
        .discriminatedUnion('kind', [
          z.object({ kind: z.literal('platform') }),
          z.object({ kind: z.literal('tenant'), tenantId: z.string(), name: z.string() }),
        ])
        .nullable(),
      balanceMicros: micros.nullable(),
      errorCode: z.string().nullable(),
    }),
  },
  'usage.recent': {
    input: z.object({ tenantId: id, limit: z.number().int().min(1).max(200).optional() }).strict(),
    output: z.array(
      z.object({
        attemptId: z.string(),
        captchaType: z.string(),
        status: z.string(),
        errorCode: z.string().nullable(),
        source: z.string(),
        createdAt: z.number(),
        endedAt: z.number().nullable(),
        priceMicros: micros,
      }),
    ),
  },
} satisfies Record<Channel, { input: z.ZodType; output: z.ZodType }>

/** The events main sends to the console (Electron: `event:<name>` messages; host: Server-Sent Events). */
const raisedAlert = alert.omit({ acknowledgedAt: true })
export const events = {
  'solve.progress': z.discriminatedUnion('stage', [
    z.object({ stage: z.literal('admitted'), attemptId: z.string(), tenantId: z.string(), at: z.number() }),
    z.object({
      stage: z.literal('submitted'),
      attemptId: z.string(),
      tenantId: z.string(),
      taskId: z.string(),
      at: z.number(),
    }),
    z.object({
      stage: z.literal('ended'),
      attemptId: z.string(),
      tenantId: z.string(),
      result: solveResult,
      at: z.number(),
    }),
  ]),
  'alert.raised': raisedAlert,
  'alert.resolved': raisedAlert,
  'vault.locked': z.object({ reason: z.string() }),
  'export.progress': z.object({ jobId: z.string(), rows: z.number().int(), done: z.boolean() }),
} satisfies Record<EventName, z.ZodType>
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>

export type Contract = typeof contract
export type InputOf<C extends Channel> = z.input<Contract[C]['input']>
/** What a handler receives: the input after validation (defaults applied). */
export type ParsedInputOf<C extends Channel> = z.output<Contract[C]['input']>
export type OutputOf<C extends Channel> = z.output<Contract[C]['output']>

export interface ApiError {
  code: string
  message: string
  field?: string
  fields?: Array<{ field: string; message: string }>
  retryAfterMs?: number
  /** INTERNAL only: the id of the log line that describes what went wrong. */
  errorId?: string
}
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ApiError }

/** What the renderer sees as window.api (Electron) or the HTTP bridge (headless host). */
export type Api = { [C in Channel]: (input: InputOf<C>) => Promise<Envelope<OutputOf<C>>> } & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void
}
