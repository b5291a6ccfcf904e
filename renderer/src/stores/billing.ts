/** Billing: the month and tenant picked, the invoice preview, and CSV exports with their progress. */
import { create } from 'zustand'
import type { OutputOf } from '@shared/ipc-contract'
import { call, messageOf } from '../api/client'
import { onEvent } from '../api/events'
import { toast } from './toasts'

export type Invoice = OutputOf<'billing.preview'>
export type ExportFile = OutputOf<'billing.export'>['files'][number]

function currentMonth(now = new Date()): string {
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}`
}

interface BillingState {
  month: string
  tenantId: string
  invoice: Invoice | null
  previewing: boolean
  previewError: string | null
  exporting: 'one' | 'all' | null
  /** Rows written so far by the running export (from export.progress). */
  exportRows: number
  exportStartedAt: number | null
  files: ExportFile[]
  exportError: string | null
  exportNote: string | null
  setMonth(month: string): void
  setTenant(id: string): void
  preview(): Promise<void>
  exportCsv(scope: 'one' | 'all', format?: 'csv' | 'pdf' | 'both', only?: string): Promise<void>
}

let previewSeq = 0

export const useBilling = create<BillingState>((set, get) => ({
  month: currentMonth(),
  tenantId: '',
  invoice: null,
  previewing: false,
  previewError: null,
  exporting: null,
  exportRows: 0,
  exportStartedAt: null,
  files: [],
  exportError: null,
  exportNote: null,
  setMonth: (month) => set({ month }),
  setTenant: (tenantId) => set({ tenantId }),
  async preview() {
    const { month, tenantId } = get()
    if (!tenantId || !/^\d{4}-\d{2}$/.test(month)) return set({ invoice: null })
    const seq = ++previewSeq
    set({ previewing: true })
    try {
      const invoice = await call('billing.preview', { month, tenantId })
      if (seq === previewSeq) set({ invoice, previewError: null })
    } catch (err) {
      if (seq === previewSeq) set({ invoice: null, previewError: messageOf(err) })
    } finally {
      if (seq === previewSeq) set({ previewing: false })
    }
  },
  async exportCsv(scope, format = 'csv', only) {
    const { month, exporting } = get()
    const tenantId = only ?? get().tenantId
    if (exporting) return
    if (!/^\d{4}-\d{2}$/.test(month)) return set({ exportError: 'Pick a month first (YYYY-MM).' })
    set({
      exporting: scope,
      exportRows: 0,
      exportStartedAt: Date.now(),
      exportError: null,
      exportNote: null,
      files: [],
    })
    try {
      const r = await call('billing.export', { month, tenantId: scope === 'all' ? null : tenantId, format })
      if (r.files.length === 0) set({ exportNote: 'Export cancelled: no file was written.' })
      else {
        set({
          files: r.files,
          exportRows: r.rows,
          exportNote: `${r.files.length} file${r.files.length === 1 ? '' : 's'} written, ${r.rows} detail row${r.rows === 1 ? '' : 's'}.`,
        })
        toast('success', `Invoices for ${month} exported.`)
      }
    } catch (err) {
      set({ exportError: messageOf(err) })
    } finally {
      set({ exporting: null })
    }
  },
}))

export function connectBilling(): () => void {
  return onEvent('export.progress', (e) => {
    if (useBilling.getState().exporting) useBilling.setState({ exportRows: e.rows })
  })
}
