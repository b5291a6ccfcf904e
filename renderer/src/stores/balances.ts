/** Upstream balance checks: history, and "check now". */
import { create } from 'zustand'
import type { OutputOf } from '@shared/ipc-contract'
import { call, messageOf } from '../api/client'
import { toast } from './toasts'

export type BalanceCheck = OutputOf<'balances.history'>[number]

interface BalancesState {
  history: BalanceCheck[]
  loaded: boolean
  checking: boolean
  error: string | null
  load(): Promise<void>
  checkNow(): Promise<void>
}

export const useBalances = create<BalancesState>((set, get) => ({
  history: [],
  loaded: false,
  checking: false,
  error: null,
  async load() {
    try {
      set({ history: await call('balances.history', { limit: 200 }), error: null, loaded: true })
    } catch (err) {
      set({ error: messageOf(err) })
    }
  },
  async checkNow() {
    if (get().checking) return
    set({ checking: true, error: null })
    try {
      const checks = await call('balances.check', {})
      const failed = checks.filter((c) => c.errorCode)
      if (failed.length)
        toast(
          'error',
          `${failed.length} of ${checks.length} balance checks failed: ${failed.map((c) => `${c.label}: ${c.errorCode}`).join('; ')}`,
        )
      else toast('success', `Checked ${checks.length} account${checks.length === 1 ? '' : 's'}.`)
      await get().load()
    } catch (err) {
      set({ error: messageOf(err) })
    } finally {
      set({ checking: false })
    }
  },
}))
