/** Session and vault: app status, first run, unlock (with the throttle's retry time), lock. */
import { create } from 'zustand'
import type { OutputOf } from '@shared/ipc-contract'
import { call, describeError, messageOf, onVaultLockedError } from '../api/client'
import { onEvent } from '../api/events'
import { toast } from './toasts'

type Status = OutputOf<'app.status'>
export interface ProviderChoice {
  providerId: 'captchaai' | '2captcha' | 'custom'
  baseUrl: string
  key: string
}

interface SessionState {
  status: Status | null
  loading: boolean
  error: string | null
  /** Field path → message from the last vault action. */
  fieldErrors: Record<string, string>
  /** Epoch ms until which unlocking is refused (too many wrong passphrases); null when not throttled. */
  retryAt: number | null
  /** Why the vault was last locked (auto-lock, operator, suspend…), shown on the unlock screen. */
  lockedReason: string | null
  /** The last unlock found an older copy of the vault file (rollback refused): the screen offers to open it. */
  olderCopy: boolean
  refresh(): Promise<void>
  create(passphrase: string): Promise<boolean>
  /** First run: creates the vault, then (for a real provider) saves the provider and its key, then shows the app. */
  setup(passphrase: string, provider: ProviderChoice | null): Promise<boolean>
  /** `acceptOlderVault`: open an older copy restored from a backup on purpose (audited). */
  unlock(passphrase: string, options?: { acceptOlderVault?: boolean }): Promise<boolean>
  unlockWithDevice(): Promise<boolean>
  lock(): Promise<void>
  clearError(): void
}

export const useSession = create<SessionState>((set, get) => {
  /** Runs a vault action with the loading flag, then refreshes the status; errors land in `error`. */
  const vaultAction = async (action: () => Promise<unknown>): Promise<boolean> => {
    set({ loading: true, error: null, fieldErrors: {}, olderCopy: false })
    try {
      await action()
      set({ retryAt: null, lockedReason: null })
      await get().refresh()
      return true
    } catch (err) {
      const d = describeError(err)
      set({
        error: [d.message, d.hint].filter(Boolean).join(' '),
        fieldErrors: d.fields,
        retryAt: d.retryAfterMs ? Date.now() + d.retryAfterMs : null,
        olderCopy: d.code === 'VAULT_ROLLBACK',
      })
      return false
    } finally {
      set({ loading: false })
    }
  }
  return {
    status: null,
    loading: false,
    error: null,
    fieldErrors: {},
    retryAt: null,
    lockedReason: null,
    olderCopy: false,
    async refresh() {
      try {
        set({ status: await call('app.status', {}), error: null })
      } catch (err) {
        const d = describeError(err)
        set({ error: [d.message, d.hint].filter(Boolean).join(' ') })
      }
    },
    create: (passphrase) => vaultAction(() => call('vault.create', { passphrase })),
    setup: (passphrase, provider) =>
      vaultAction(async () => {
        await call('vault.create', { passphrase })
        if (!provider) return
        try {
          await call('settings.update', {
            providerId: provider.providerId,
            ...(provider.providerId === 'custom' ? { baseUrl: provider.baseUrl.trim() } : {}),
          })
          await call('vault.setPlatformKey', { key: provider.key.trim(), label: 'Platform key' })
        } catch (err) {
          toast(
            'error',
            `The vault was created, but the provider was not saved: ${messageOf(err)} Set it under Settings.`,
          )
        }
      }),
    unlock: (passphrase, options = {}) => vaultAction(() => call('vault.unlock', { passphrase, ...options })),
    unlockWithDevice: () => vaultAction(() => call('vault.unlockWithDevice', {})),
    async lock() {
      set({ loading: true })
      await call('vault.lock', {}).catch(() => undefined)
      set({ loading: false, lockedReason: 'operator' })
      await get().refresh()
    },
    clearError: () => set({ error: null, fieldErrors: {}, olderCopy: false }),
  }
})

/** Wires the session to engine events; called once at start. */
export function connectSession(): () => void {
  const offLocked = onEvent('vault.locked', (e) => {
    useSession.setState({ lockedReason: e.reason })
    void useSession.getState().refresh()
  })
  const offError = onVaultLockedError(() => void useSession.getState().refresh())
  return () => {
    offLocked()
    offError()
  }
}
