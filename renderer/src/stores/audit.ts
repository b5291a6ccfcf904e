/** The audit log, newest first, loaded a page at a time, filtered by tenant, action and date in the engine. */
import { create } from 'zustand'
import type { InputOf, OutputOf } from '@shared/ipc-contract'
import { call, messageOf } from '../api/client'

export type AuditEntry = OutputOf<'audit.list'>[number]
const AUDIT_PAGE = 100

export interface AuditFilters {
  /** A tenant id, or '' for everything. */
  tenantId: string
  /** An action or a family ending in a dot, or ''. */
  action: string
  /** Local dates YYYY-MM-DD (inclusive), or ''. */
  from: string
  to: string
}

interface AuditState {
  entries: AuditEntry[]
  /** Tenant id → name, deleted tenants included (the log outlives them). */
  names: Map<string, string>
  loading: boolean
  loaded: boolean
  exhausted: boolean
  error: string | null
  filters: AuditFilters
  setFilters(f: Partial<AuditFilters>): void
  load(): Promise<void>
  loadOlder(): Promise<void>
}

const localMidnight = (date: string, plusDays = 0): number | undefined => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays).getTime() : undefined
}

function query(f: AuditFilters, beforeId?: number): InputOf<'audit.list'> {
  return {
    limit: AUDIT_PAGE,
    ...(beforeId !== undefined ? { beforeId } : {}),
    ...(f.tenantId ? { subjectId: f.tenantId } : {}),
    ...(f.action ? { action: f.action } : {}),
    ...(f.from ? { from: localMidnight(f.from) } : {}),
    ...(f.to ? { to: localMidnight(f.to, 1) } : {}),
  }
}

export const useAudit = create<AuditState>((set, get) => ({
  entries: [],
  names: new Map(),
  loading: false,
  loaded: false,
  exhausted: false,
  error: null,
  filters: { tenantId: '', action: '', from: '', to: '' },
  setFilters(f) {
    set({ filters: { ...get().filters, ...f } })
    void get().load()
  },
  async load() {
    set({ loading: true })
    try {
      const [entries, tenants] = await Promise.all([
        call('audit.list', query(get().filters)),
        call('tenants.list', { includeDeleted: true }),
      ])
      set({
        entries,
        names: new Map(tenants.map((t) => [t.id, t.name])),
        exhausted: entries.length < AUDIT_PAGE,
        error: null,
        loaded: true,
      })
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
      const older = await call('audit.list', query(get().filters, last.id))
      set({ entries: [...get().entries, ...older], exhausted: older.length < AUDIT_PAGE, error: null })
    } catch (err) {
      set({ error: messageOf(err) })
    } finally {
      set({ loading: false })
    }
  },
}))
