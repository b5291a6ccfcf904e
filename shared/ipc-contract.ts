/**
 * The single typed IPC contract (Heroic-style): every channel's input and output schema, and the events main sends.
 * Electron's ipcMain handlers and the headless host's HTTP bridge both serve exactly this.
 */
import { z } from 'zod'
import { captchaRequestSchema } from './captcha-schema'
import { settingsPatchSchema } from './settings'
import { tenantCreateSchema, tenantUpdateSchema } from './tenant-schema'
import type { Channel, EventName } from './ipc-channels'

export { CHANNELS, EVENTS, isChannel, type Channel, type EventName } from './ipc-channels'

const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'not an id')
const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM')
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
const passphrase = z.string().min(1, 'enter the passphrase').max(1024)
const upstreamKey = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9]{32}$/, 'an API key is 32 letters and digits')
const label = z.string().trim().max(80).default('')
const empty = z.object({}).strict()
const any = z.unknown()

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
      gateway: z.object({ running: z.boolean(), url: z.string().nullable() }),
      version: z.string(),
    }),
  },
  'vault.create': {
    input: z.object({ passphrase: z.string().min(10, 'at least 10 characters').max(1024) }).strict(),
    output: vaultStatus,
  },
  'vault.unlock': { input: z.object({ passphrase }).strict(), output: vaultStatus },
  'vault.lock': { input: empty, output: vaultStatus },
  'vault.changePassphrase': {
    input: z
      .object({
        oldPassphrase: passphrase,
        newPassphrase: z.string().min(10, 'at least 10 characters').max(1024),
      })
      .strict(),
    output: vaultStatus,
  },
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
    output: z.array(any),
  },
  'tenants.create': { input: tenantCreateSchema, output: any },
  'tenants.update': { input: z.object({ id, patch: tenantUpdateSchema }).strict(), output: any },
  'tenants.suspend': { input: z.object({ id }).strict(), output: any },
  'tenants.resume': { input: z.object({ id }).strict(), output: any },
  'tenants.delete': { input: z.object({ id }).strict(), output: any },
  'solve.test': {
    input: z
      .object({
        tenantId: id,
        request: captchaRequestSchema,
        timeoutSeconds: z.number().int().min(5).max(600).optional(),
      })
      .strict(),
    output: any,
  },
  'usage.dashboard': { input: empty, output: any },
  'usage.byDay': {
    input: z.object({ tenantId: z.union([id, z.literal('all')]), from: date, to: date }).strict(),
    output: z.array(any),
  },
  'balances.check': { input: empty, output: z.array(any) },
  'balances.history': {
    input: z
      .object({
        account: z.string().max(100).optional(),
        limit: z.number().int().min(1).max(1000).optional(),
      })
      .strict(),
    output: z.array(any),
  },
  'billing.preview': { input: z.object({ month, tenantId: id }).strict(), output: any },
  'billing.export': {
    input: z.object({ month, tenantId: id.nullable() }).strict(),
    output: z.object({
      files: z.array(z.object({ name: z.string(), url: z.string().nullable(), path: z.string().nullable() })),
      rows: z.number(),
    }),
  },
  'alerts.list': { input: z.object({ activeOnly: z.boolean().optional() }).strict(), output: z.array(any) },
  'audit.list': {
    input: z
      .object({ limit: z.number().int().min(1).max(1000).optional(), beforeId: z.number().int().optional() })
      .strict(),
    output: z.array(any),
  },
  'settings.get': { input: empty, output: any },
  'settings.update': { input: settingsPatchSchema, output: any },
  'gateway.status': { input: empty, output: any },
  'gateway.start': { input: empty, output: any },
  'gateway.stop': { input: empty, output: any },
  'gateway.issueKey': {
    input: z
      .object({
        tenantId: id,
        graceHours: z
          .number()
          .int()
          .min(0)
          .max(24 * 30)
          .optional(),
      })
      .strict(),
    output: any,
  },
  'gateway.revokeKey': { input: z.object({ tenantId: id }).strict(), output: any },
} satisfies Record<Channel, { input: z.ZodType; output: z.ZodType }>

export type Contract = typeof contract
export type InputOf<C extends Channel> = z.input<Contract[C]['input']>
export type OutputOf<C extends Channel> = z.output<Contract[C]['output']>

export interface ApiError {
  code: string
  message: string
  field?: string
  fields?: Array<{ field: string; message: string }>
  retryAfterMs?: number
}
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ApiError }

/** What the renderer sees as window.api (Electron) or the HTTP bridge (headless host). */
export type Api = { [C in Channel]: (input: InputOf<C>) => Promise<Envelope<OutputOf<C>>> } & {
  on(event: EventName, listener: (payload: unknown) => void): () => void
}
