/** The audit log, newest first, loaded a page at a time. */
import { create } from 'zustand'
import type { OutputOf } from '@shared/ipc-contract'
import { call, messageOf } from '../api/client'

export type AuditEntry = OutputOf<'audit.list'>[number]
export const AUDIT_PAGE = 100

interface AuditState {
  entries: AuditEntry[]
  loading: boolean
  loaded: boolean
  exhausted: boolean
  error: string | null
  filter: string
  setFilter(q: string): void
  load(): Promise<void>
  loadOlder(): Promise<void>
}

export const useAudit = create<AuditState>((set, get) => ({
  entries: [],
  loading: false,
  loaded: false,
  exhausted: false,
  error: null,
  filter: '',
  setFilter: (filter) => set({ filter }),
  async load() {
    set({ loading: true })
    try {
      const entries = await call('audit.list', { limit: AUDIT_PAGE })
      set({ entries, exhausted: entries.length < AUDIT_PAGE, error: null, loaded: true })
    } catch (err) {
      set({ error: messageOf(err) })
    } finally {
      set({ loading: false })
    }
  },
  async loadOlder() {
    const last = get().entries.at(-1)
    if (!last || get().loading) return
    set({ loading: true })
    try {
      const older = await call('audit.list', { limit: AUDIT_PAGE, beforeId: last.id })
      set({ entries: [...get().entries, ...older], exhausted: older.length < AUDIT_PAGE, error: null })
    } catch (err) {
      set({ error: messageOf(err) })
    } finally {
      set({ loading: false })
    }
  },
}))
