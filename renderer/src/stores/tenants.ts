import { create } from 'zustand'
import type { Tenant } from '@shared/tenant'
import type { InputOf } from '@shared/ipc-contract'
import { call, messageOf } from '../api/client'
import { useToasts } from './toasts'

interface TenantsState {
  tenants: Tenant[]
  loading: boolean
  error: string | null
  search: string
  setSearch(q: string): void
  load(): Promise<void>
  create(input: InputOf<'tenants.create'>): Promise<Tenant | string>
  update(id: string, patch: InputOf<'tenants.update'>['patch']): Promise<Tenant | string>
  setStatus(id: string, action: 'suspend' | 'resume' | 'delete'): Promise<void>
}

export const useTenants = create<TenantsState>((set, get) => ({
  tenants: [],
  loading: false,
  error: null,
  search: '',
  setSearch: (search) => set({ search }),
  async load() {
    set({ loading: true })
    try {
      set({ tenants: (await call('tenants.list', {})) as Tenant[], error: null })
    } catch (err) {
      set({ error: messageOf(err) })
    } finally {
      set({ loading: false })
    }
  },
  async create(input) {
    try {
      const t = (await call('tenants.create', input)) as Tenant
      await get().load()
      useToasts.getState().push('success', `Tenant “${t.name}” created.`)
      return t
    } catch (err) {
      return messageOf(err)
    }
  },
  async update(id, patch) {
    try {
      const t = (await call('tenants.update', { id, patch })) as Tenant
      await get().load()
      useToasts.getState().push('success', `Tenant “${t.name}” saved.`)
      return t
    } catch (err) {
      return messageOf(err)
    }
  },
  async setStatus(id, action) {
    try {
      await call(
        action === 'suspend' ? 'tenants.suspend' : action === 'resume' ? 'tenants.resume' : 'tenants.delete',
        { id },
      )
      await get().load()
    } catch (err) {
      useToasts.getState().push('error', messageOf(err))
    }
  },
}))
