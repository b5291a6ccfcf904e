/** Operator settings, the platform key (masked), device unlock, the tenant gateway and the passphrase. */
import { create } from 'zustand'
import type { InputOf, OutputOf } from '@shared/ipc-contract'
import type { Settings, SettingsPatch } from '@shared/settings'
import { call, messageOf } from '../api/client'
import { attempt, type Outcome } from './outcome'
import { useCurrency } from './currency'
import { useSession } from './session'
import { toast } from './toasts'

export type GatewayStatus = OutputOf<'gateway.status'>
export type KeyInfo = OutputOf<'vault.describeKeys'>[number]
export type GatewayBans = OutputOf<'gateway.bans'>

interface SettingsState {
  settings: Settings | null
  gateway: GatewayStatus | null
  platformKey: KeyInfo | null
  error: string | null
  gatewayBusy: boolean
  bans: GatewayBans | null
  load(): Promise<void>
  loadBans(): Promise<void>
  liftBan(source: string): Promise<void>
  save(patch: SettingsPatch): Promise<Outcome<Settings>>
  setPlatformKey(key: string, label: string): Promise<Outcome<KeyInfo>>
  setDeviceUnlock(enabled: boolean): Promise<Outcome<unknown>>
  toggleGateway(): Promise<void>
  changePassphrase(input: InputOf<'vault.changePassphrase'>): Promise<Outcome<unknown>>
  rotateDataKey(passphrase: string): Promise<Outcome<unknown>>
}

export const useSettings = create<SettingsState>((set, get) => ({
  settings: null,
  gateway: null,
  platformKey: null,
  error: null,
  gatewayBusy: false,
  bans: null,
  async loadBans() {
    const bans = await call('gateway.bans', {}).catch(() => null)
    set({ bans })
  },
  async liftBan(source) {
    const r = await attempt(() => call('gateway.liftBan', { source }))
    if (r.ok)
      toast('success', r.value.lifted ? `Ban on ${source} lifted.` : `${source} was not banned any more.`)
    await get().loadBans()
  },
  async load() {
    try {
      const [settings, gateway, keys] = await Promise.all([
        call('settings.get', {}),
        call('gateway.status', {}).catch(() => null),
        call('vault.describeKeys', {}).catch(() => [] as KeyInfo[]),
      ])
      useCurrency.setState({ currency: settings.currency })
      set({ settings, gateway, platformKey: keys.find((k) => k.scope === 'platform') ?? null, error: null })
    } catch (err) {
      set({ error: messageOf(err) })
    }
  },
  async save(patch) {
    const r = await attempt(() => call('settings.update', patch))
    if (r.ok) {
      set({ settings: r.value })
      useCurrency.setState({ currency: r.value.currency })
      toast('success', 'Settings saved.')
      void useSession.getState().refresh()
    }
    return r
  },
  async setPlatformKey(key, label) {
    const r = await attempt(() => call('vault.setPlatformKey', { key, label }))
    if (r.ok) {
      set({ platformKey: r.value })
      toast('success', `Platform key saved: ${r.value.label} •••• ${r.value.last4}.`)
    }
    return r
  },
  async setDeviceUnlock(enabled) {
    const r = await attempt(() => call('vault.setDeviceUnlock', { enabled }))
    if (r.ok) {
      toast('success', enabled ? 'This device can now unlock the vault.' : 'Device unlock is off.')
      void useSession.getState().refresh()
    }
    return r
  },
  async toggleGateway() {
    const running = get().gateway?.running
    set({ gatewayBusy: true, error: null })
    try {
      const s = await call(running ? 'gateway.stop' : 'gateway.start', {})
      set({ gateway: { ...s, keys: get().gateway?.keys ?? [] } })
      toast(
        'success',
        s.running ? `Serving tenants at ${s.url}.` : 'Serving stopped; the held keys are sealed.',
      )
      void useSession.getState().refresh()
    } catch (err) {
      set({ error: messageOf(err) })
    } finally {
      set({ gatewayBusy: false })
    }
  },
  async changePassphrase(input) {
    const r = await attempt(() => call('vault.changePassphrase', input))
    if (r.ok) toast('success', 'Passphrase changed. Use the new one from now on.')
    return r
  },
  async rotateDataKey(passphrase) {
    const r = await attempt(() => call('vault.rotateDataKey', { passphrase }))
    if (r.ok) toast('success', 'Every key is now encrypted under a new data key.')
    return r
  },
}))
