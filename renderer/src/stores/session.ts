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

export const useSession = create<SessionState>((set, get) => ({
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
  async create(passphrase) {
    set({ loading: true, error: null })
    try {
      await call('vault.create', { passphrase })
      await get().refresh()
      return true
    } catch (err) {
      set({ error: messageOf(err) })
      return false
    } finally {
      set({ loading: false })
    }
  },
  async unlock(passphrase) {
    set({ loading: true, error: null })
    try {
      await call('vault.unlock', { passphrase })
      await get().refresh()
      return true
    } catch (err) {
      set({ error: messageOf(err) })
      return false
    } finally {
      set({ loading: false })
    }
  },
  async unlockWithDevice() {
    set({ loading: true, error: null })
    try {
      await call('vault.unlockWithDevice', {})
      await get().refresh()
      return true
    } catch (err) {
      set({ error: messageOf(err) })
      return false
    } finally {
      set({ loading: false })
    }
  },
  async lock() {
    await call('vault.lock', {}).catch(() => undefined)
    await get().refresh()
  },
}))

api.on('vault.locked', () => void useSession.getState().refresh())
