/** Billing screen data beside the preview: the month's invoice list, every tenant's credit, and their actions. */
import { create } from 'zustand'
import type { InputOf, OutputOf } from '@shared/ipc-contract'
import { call, messageOf } from '../api/client'
import { attempt, type Outcome } from './outcome'
import { toast } from './toasts'

export type InvoiceList = OutputOf<'billing.list'>
export type CreditRow = OutputOf<'credit.balances'>[number]

interface BillingMonthState {
  list: InvoiceList | null
  credit: CreditRow[]
  error: string | null
  load(month: string): Promise<void>
  topUp(input: InputOf<'credit.record'>, month: string): Promise<Outcome<OutputOf<'credit.record'>>>
  mark(input: InputOf<'billing.mark'>): Promise<void>
}

let seq = 0

export const useBillingMonth = create<BillingMonthState>((set, get) => ({
  list: null,
  credit: [],
  error: null,
  async load(month) {
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) return
    const n = ++seq
    try {
      const [list, credit] = await Promise.all([call('billing.list', { month }), call('credit.balances', {})])
      if (n === seq) set({ list, credit, error: null })
    } catch (err) {
      if (n === seq) set({ error: messageOf(err) })
    }
  },
  async topUp(input, month) {
    const r = await attempt(() => call('credit.record', input))
    if (r.ok) {
      toast(
        'success',
        r.value.duplicate ? 'That reference was already recorded: counted once.' : 'Credit recorded.',
      )
      await get().load(month)
    }
    return r
  },
  async mark(input) {
    try {
      await call('billing.mark', input)
      await get().load(input.month)
    } catch (err) {
      toast('error', messageOf(err))
    }
  },
}))
