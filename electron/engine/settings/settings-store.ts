/** Operator settings, persisted with conf (electron-store's engine): 0600, schemaVersion, validated on every change. */
import Conf from 'conf'
import { DEFAULT_PRICES } from '@shared/captcha'
import { settingsPatchSchema, settingsSchema, type Settings, type SettingsPatch } from '@shared/settings'
import { ValidationError } from '../errors/engine-errors'

export const DEFAULT_SETTINGS: Settings = {
  providerId: 'sandbox',
  baseUrl: '',
  supportsBatchGet: true,
  sharedThreads: 50,
  requestTimeoutSeconds: 30,
  solveTimeoutSeconds: 300,
  autoLockMinutes: 15,
  costPrices: { ...DEFAULT_PRICES },
  currency: 'USD',
  invoiceGraceDays: 3,
  lowBalanceMicros: 1_000_000,
  balanceCheckMinutes: 15,
  gateway: { enabled: false, port: 8787, allowLan: false },
}

export interface SettingsStore {
  get(): Settings
  update(patch: SettingsPatch): Settings
  onChange(listener: (s: Settings) => void): () => void
}

export function createSettingsStore(dataDir: string, overrides: SettingsPatch = {}): SettingsStore {
  const store = new Conf<{ schemaVersion: number; settings: Settings }>({
    cwd: dataDir,
    configName: 'settings',
    configFileMode: 0o600,
    clearInvalidConfig: false,
    defaults: { schemaVersion: 1, settings: DEFAULT_SETTINGS },
  })
  const listeners = new Set<(s: Settings) => void>()
  const stored = settingsSchema.safeParse({ ...DEFAULT_SETTINGS, ...store.get('settings') })
  let current: Settings = { ...(stored.success ? stored.data : DEFAULT_SETTINGS), ...overrides }
  return {
    get: () => current,
    update(patch) {
      const p = settingsPatchSchema.safeParse(patch)
      if (!p.success) {
        const fields = p.error.issues.map((i) => ({
          field: i.path.join('.') || '(input)',
          message: i.message,
        }))
        throw new ValidationError(
          `Invalid settings: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`,
          fields,
        )
      }
      const next = settingsSchema.parse({ ...current, ...p.data })
      if (next.providerId === 'custom' && next.baseUrl === '') {
        throw new ValidationError('A custom provider needs a base URL.', [
          { field: 'baseUrl', message: 'required for a custom provider' },
        ])
      }
      store.set('settings', next)
      current = next
      for (const l of listeners) l(next)
      return next
    },
    onChange(l) {
      listeners.add(l)
      return () => listeners.delete(l)
    },
  }
}
