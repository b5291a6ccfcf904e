import { create } from 'zustand'
import type { OutputOf } from '@shared/ipc-contract'
import { api, call, messageOf } from '../api/client'

type Status = OutputOf<'app.status'>

interface SessionState {
  status: Status | null
  loading: boolean
  error: string | null
  refresh(): Promise<void>
  create(passphrase: string): Promise<boolean>
  unlock(passphrase: string): Promise<boolean>
  unlockWithDevice(): Promise<boolean>
  lock(): Promise<void>
}

export const useSession = create<SessionState>((set, get) => {
  /** Runs a vault action with the loading flag, then refreshes the status; errors land in `error`. */
  const vaultAction = async (action: () => Promise<unknown>): Promise<boolean> => {
    set({ loading: true, error: null })
    try {
      await action()
      await get().refresh()
      return true
    } catch (err) {
      set({ error: messageOf(err) })
      return false
    } finally {
      set({ loading: false })
    }
  }
  return {
    status: null,
    loading: false,
    error: null,
    async refresh() {
      try {
        set({ status: await call('app.status', {}), error: null })
      } catch (err) {
        set({ error: messageOf(err) })
      }
    },
    create: (passphrase) => vaultAction(() => call('vault.create', { passphrase })),
    unlock: (passphrase) => vaultAction(() => call('vault.unlock', { passphrase })),
    unlockWithDevice: () => vaultAction(() => call('vault.unlockWithDevice', {})),
    async lock() {
      await call('vault.lock', {}).catch(() => undefined)
      await get().refresh()
    },
  }
})

api.on('vault.locked', () => void useSession.getState().refresh())
