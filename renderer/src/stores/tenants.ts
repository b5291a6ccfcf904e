/** Tenants, their masked upstream keys and gateway keys. The list is loaded once and filtered in memory. */
import { create } from 'zustand'
import type { InputOf, OutputOf } from '@shared/ipc-contract'
import type { Tenant } from '@shared/tenant'
import { call, messageOf } from '../api/client'
import { attempt, type Outcome } from './outcome'
import { toast } from './toasts'

export type KeyInfo = OutputOf<'vault.describeKeys'>[number]
export type GatewayKeyInfo = OutputOf<'gateway.status'>['keys'][number]

interface TenantsState {
  tenants: Tenant[]
  /** Tenant id → its own upstream key (masked). */
  keys: Map<string, KeyInfo>
  platformKey: KeyInfo | null
  gatewayKeys: Map<string, GatewayKeyInfo>
  loaded: boolean
  loading: boolean
  error: string | null
  search: string
  setSearch(q: string): void
  load(): Promise<void>
  loadKeys(): Promise<void>
  create(input: InputOf<'tenants.create'>): Promise<Outcome<Tenant>>
  update(id: string, patch: InputOf<'tenants.update'>['patch']): Promise<Outcome<Tenant>>
  setStatus(id: string, action: 'suspend' | 'resume' | 'delete'): Promise<boolean>
  setKey(tenantId: string, key: string, label: string): Promise<Outcome<KeyInfo>>
  removeKey(tenantId: string): Promise<Outcome<{ removed: boolean }>>
  issueGatewayKey(tenantId: string, graceHours: number): Promise<Outcome<string>>
  revokeGatewayKey(tenantId: string): Promise<Outcome<number>>
}

const ACTIONS = { suspend: 'tenants.suspend', resume: 'tenants.resume', delete: 'tenants.delete' } as const
const PAST = { suspend: 'suspended', resume: 'resumed', delete: 'deleted' } as const

export const useTenants = create<TenantsState>((set, get) => ({
  tenants: [],
  keys: new Map(),
  platformKey: null,
  gatewayKeys: new Map(),
  loaded: false,
  loading: false,
  error: null,
  search: '',
  setSearch: (search) => set({ search }),
  async load() {
    set({ loading: true })
    try {
      set({ tenants: await call('tenants.list', {}), error: null, loaded: true })
    } catch (err) {
      set({ error: messageOf(err) })
    } finally {
      set({ loading: false })
    }
  },
  async loadKeys() {
    const [keys, gateway] = await Promise.all([
      call('vault.describeKeys', {}).catch(() => [] as KeyInfo[]),
      call('gateway.status', {}).catch(() => null),
    ])
    set({
      keys: new Map(keys.filter((k) => k.scope === 'tenant' && k.tenantId).map((k) => [k.tenantId!, k])),
      platformKey: keys.find((k) => k.scope === 'platform') ?? null,
      gatewayKeys: new Map((gateway?.keys ?? []).map((k) => [k.tenantId, k])),
    })
  },
  async create(input) {
    const r = await attempt(() => call('tenants.create', input))
    if (r.ok) {
      set({ tenants: [...get().tenants, r.value] })
      toast('success', `Tenant “${r.value.name}” created.`)
    }
    return r
  },
  async update(id, patch) {
    const r = await attempt(() => call('tenants.update', { id, patch }))
    if (r.ok) {
      set({ tenants: get().tenants.map((t) => (t.id === id ? r.value : t)) })
      toast('success', `Tenant “${r.value.name}” saved.`)
    }
    return r
  },
  async setStatus(id, action) {
    const r = await attempt(() => call(ACTIONS[action], { id }))
    if (!r.ok) {
      toast('error', r.message)
      return false
    }
    set({
      tenants:
        action === 'delete'
          ? get().tenants.filter((t) => t.id !== id)
          : get().tenants.map((t) => (t.id === id ? r.value : t)),
    })
    toast('success', `Tenant “${r.value.name}” ${PAST[action]}.`)
    return true
  },
  async setKey(tenantId, key, label) {
    const r = await attempt(() => call('vault.setTenantKey', { tenantId, key, label }))
    if (r.ok) {
      set({ keys: new Map(get().keys).set(tenantId, r.value) })
      toast('success', `Key saved: ${r.value.label} •••• ${r.value.last4}.`)
    }
    return r
  },
  async removeKey(tenantId) {
    const r = await attempt(() => call('vault.removeTenantKey', { tenantId }))
    if (r.ok) {
      const keys = new Map(get().keys)
      keys.delete(tenantId)
      set({ keys })
      toast('success', 'The tenant’s key was removed from the vault.')
    }
    return r
  },
  async issueGatewayKey(tenantId, graceHours) {
    const r = await attempt(() => call('gateway.issueKey', { tenantId, graceHours }))
    if (!r.ok) return r
    set({ gatewayKeys: new Map(get().gatewayKeys).set(tenantId, r.value.info) })
    return { ok: true, value: r.value.key }
  },
  async revokeGatewayKey(tenantId) {
    const r = await attempt(() => call('gateway.revokeKey', { tenantId }))
    if (!r.ok) return r
    const gatewayKeys = new Map(get().gatewayKeys)
    gatewayKeys.delete(tenantId)
    set({ gatewayKeys })
    return { ok: true, value: r.value.revoked }
  },
}))

/** Case-insensitive match on name or id. */
export function filterTenants(tenants: readonly Tenant[], search: string): readonly Tenant[] {
  const q = search.trim().toLowerCase()
  if (!q) return tenants
  return tenants.filter((t) => t.name.toLowerCase().includes(q) || t.id.toLowerCase().includes(q))
}
