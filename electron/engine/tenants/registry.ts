/**
 * The tenant registry, persisted with electron-store's engine (conf) in the app's data folder: file mode 0600,
 * a JSON schema on the envelope, our own schemaVersion and migrations. Every change is validated first (bad input
 * changes nothing) and written to the audit log.
 */
import { randomBytes } from 'node:crypto'
import Conf from 'conf'
import { DEFAULT_TENANT_PRICES } from '@shared/captcha'
import { DEFAULT_ALERT_PERCENTS, type Tenant } from '@shared/tenant'
import {
  tenantCreateSchema,
  tenantUpdateSchema,
  type TenantCreateInput,
  type TenantUpdateInput,
} from '@shared/tenant-schema'
import type { z } from 'zod'
import type { AuditLog } from '../audit/audit-log'
import { ConflictError, NotFoundError, ValidationError } from '../errors/engine-errors'

const TENANTS_SCHEMA_VERSION = 1

interface StoreShape {
  schemaVersion: number
  tenants: Record<string, Tenant>
}

export interface TenantRegistry {
  create(input: TenantCreateInput, actor: string): Tenant
  update(id: string, patch: TenantUpdateInput, actor: string): Tenant
  suspend(id: string, actor: string): Tenant
  resume(id: string, actor: string): Tenant
  delete(id: string, actor: string): Tenant
  get(id: string): Tenant | undefined
  list(options?: { includeDeleted?: boolean }): Tenant[]
  onChange(listener: (tenant: Tenant) => void): () => void
}

/** Migrations from older files: index i upgrades version i to i+1. Version 0 is the unversioned early format. */
const MIGRATIONS: Array<(data: Record<string, unknown>) => Record<string, unknown>> = [
  (data) => {
    const tenants = (data.tenants ?? {}) as Record<string, Record<string, unknown>>
    const epoch = new Date(0).toISOString()
    for (const t of Object.values(tenants)) {
      t.status ??= 'active'
      t.keyMode ??= 'shared'
      t.limits ??= {}
      t.timezone ??= 'UTC'
      t.createdAt ??= epoch
      t.updatedAt ??= t.createdAt
      t.shareWeight ??= 1
      t.alertThresholds ??= { percents: DEFAULT_ALERT_PERCENTS }
      t.notes ??= ''
      t.pricePlan ??= { kind: 'unit', prices: { ...DEFAULT_TENANT_PRICES } }
    }
    return { ...data, tenants, schemaVersion: 1 }
  },
]

function fieldErrors(error: z.ZodError): Array<{ field: string; message: string }> {
  return error.issues.map((i) => ({ field: i.path.join('.') || '(input)', message: i.message }))
}

function invalid(error: z.ZodError): ValidationError {
  const fields = fieldErrors(error)
  return new ValidationError(
    `Invalid tenant: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`,
    fields,
  )
}

export function createTenantRegistry(options: {
  dataDir: string
  now?: () => number
  audit?: AuditLog
  /** The price plan of a tenant created without one (settings: default markup); default: the list prices. */
  defaultPricePlan?: () => Tenant['pricePlan'] | undefined
}): TenantRegistry {
  const now = options.now ?? Date.now
  const store = new Conf<StoreShape>({
    cwd: options.dataDir,
    configName: 'tenants',
    configFileMode: 0o600,
    clearInvalidConfig: false,
    schema: {
      schemaVersion: { type: 'integer', minimum: 0 },
      tenants: {
        type: 'object',
        additionalProperties: { type: 'object', required: ['id', 'name', 'status'] },
      },
    },
    // No schemaVersion default: conf would write it into an unversioned early file before we could migrate it.
    defaults: { tenants: {} } as StoreShape,
  })
  // Our own migrations (conf's semver migrations are documented as buggy). A file without a version is version 0.
  let version = store.has('schemaVersion') ? store.get('schemaVersion') : 0
  if (version > TENANTS_SCHEMA_VERSION)
    throw new Error(`tenants.json is from a newer CaptchaDesk (schema ${version}); update the app.`)
  if (version < TENANTS_SCHEMA_VERSION) {
    let data = store.store as unknown as Record<string, unknown>
    while (version < TENANTS_SCHEMA_VERSION) data = MIGRATIONS[version++]!(data)
    store.store = data as unknown as StoreShape
  }

  const listeners = new Set<(t: Tenant) => void>()
  // conf re-reads its file on every get; we are the only writer, so keep the parsed copy (hot path of every solve).
  let cache: Record<string, Tenant> = store.get('tenants')
  const all = (): Record<string, Tenant> => cache
  // Own properties only: ids like "__proto__" or "toString" from IPC must not reach Object.prototype.
  const lookup = (id: unknown): Tenant | undefined =>
    typeof id === 'string' && Object.hasOwn(cache, id) ? cache[id] : undefined
  const save = (t: Tenant): void => {
    const next = { ...cache, [t.id]: t }
    store.set('tenants', next)
    cache = next
    for (const l of listeners) l(t)
  }
  const mustGet = (id: string): Tenant => {
    const t = lookup(id)
    if (!t) throw new NotFoundError(`No tenant with id "${String(id as unknown).slice(0, 40)}".`)
    return t
  }
  const checkName = (name: string, exceptId?: string): void => {
    const clash = Object.values(all()).find(
      (t) => t.status !== 'deleted' && t.id !== exceptId && t.name.toLowerCase() === name.toLowerCase(),
    )
    if (clash) throw new ConflictError(`A tenant named "${clash.name}" already exists; pick another name.`)
  }
  const audit = (actor: string, action: string, t: Tenant, details: Record<string, unknown>): void =>
    options.audit?.record({ actor, action, subjectType: 'tenant', subjectId: t.id, details })
  const setStatus = (id: string, status: Tenant['status'], actor: string, action: string): Tenant => {
    const t = mustGet(id)
    if (t.status === 'deleted')
      throw new ConflictError('This tenant was deleted; its history is kept but it cannot change.')
    if (t.status === status) return t
    const next = { ...t, status, updatedAt: new Date(now()).toISOString() }
    save(next)
    audit(actor, action, next, { status: { from: t.status, to: status } })
    return next
  }

  return {
    create(input, actor) {
      const parsed = tenantCreateSchema.safeParse(input)
      if (!parsed.success) throw invalid(parsed.error)
      const v = parsed.data
      checkName(v.name)
      const at = new Date(now()).toISOString()
      const tenant: Tenant = {
        id: `t_${randomBytes(8).toString('hex')}`,
        name: v.name,
        status: 'active',
        keyMode: v.keyMode,
        limits: v.limits,
        pricePlan: v.pricePlan ??
          options.defaultPricePlan?.() ?? { kind: 'unit', prices: { ...DEFAULT_TENANT_PRICES } },
        timezone: v.timezone,
        alertThresholds: v.alertThresholds ?? { percents: [...DEFAULT_ALERT_PERCENTS] },
        shareWeight: v.shareWeight,
        notes: v.notes,
        ...(v.billing ? { billing: v.billing } : {}),
        createdAt: at,
        updatedAt: at,
      }
      save(tenant)
      audit(actor, 'tenant.create', tenant, {
        name: tenant.name,
        keyMode: tenant.keyMode,
        limits: tenant.limits,
        timezone: tenant.timezone,
      })
      return tenant
    },
    update(id, patch, actor) {
      const t = mustGet(id)
      if (t.status === 'deleted')
        throw new ConflictError('This tenant was deleted; its history is kept but it cannot change.')
      const parsed = tenantUpdateSchema.safeParse(patch)
      if (!parsed.success) throw invalid(parsed.error)
      const v = parsed.data
      if (v.name !== undefined) checkName(v.name, id)
      const next: Tenant = {
        ...t,
        ...Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)),
        updatedAt: new Date(now()).toISOString(),
      }
      const changes: Record<string, unknown> = {}
      for (const k of Object.keys(v) as Array<keyof typeof v>) {
        if (v[k] !== undefined && JSON.stringify(t[k]) !== JSON.stringify(next[k]))
          changes[k] = { from: t[k], to: next[k] }
      }
      if (Object.keys(changes).length === 0) return t
      save(next)
      audit(actor, 'tenant.update', next, changes)
      return next
    },
    suspend: (id, actor) => setStatus(id, 'suspended', actor, 'tenant.suspend'),
    resume: (id, actor) => setStatus(id, 'active', actor, 'tenant.resume'),
    delete: (id, actor) => setStatus(id, 'deleted', actor, 'tenant.delete'),
    get: (id) => lookup(id),
    list: ({ includeDeleted = false } = {}) =>
      Object.values(all())
        .filter((t) => includeDeleted || t.status !== 'deleted')
        .sort((a, b) => a.name.localeCompare(b.name)),
    onChange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}
