/** The operator's currency (Settings → currency), for the one money format on every screen. */
import { create } from 'zustand'
import { call } from '../api/client'

interface CurrencyState {
  currency: string
  load(): Promise<void>
}

export const useCurrency = create<CurrencyState>((set) => ({
  currency: 'USD',
  async load() {
    try {
      set({ currency: (await call('settings.get', {})).currency })
    } catch {
      // locked or unreachable: keep the last known currency
    }
  },
}))
