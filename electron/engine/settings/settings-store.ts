/**
 * Operator settings, persisted with conf (electron-store's engine): mode 0600, our own schemaVersion with a migration
 * step per version (conf's semver migrations are documented as buggy), validated on every change. A damaged file is
 * kept aside (never deleted) and the defaults take over; a field that no longer validates falls back alone.
 */
import Conf from 'conf'
import { existsSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULT_BILLING_SETTINGS } from '@shared/billing-settings'
import { DEFAULT_COST_PRICES } from '@shared/captcha'
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
  costPrices: { ...DEFAULT_COST_PRICES },
  currency: 'USD',
  invoiceGraceDays: 3,
  lowBalanceMicros: 1_000_000,
  balanceCheckMinutes: 15,
  gateway: {
    enabled: false,
    port: 8787,
    allowLan: false,
    resultRetentionMinutes: 15,
    drainSeconds: 20,
    hostsFileMode: false,
    httpsPort: 443,
    hostNames: [],
  },
  launchAtLogin: false,
  ...DEFAULT_BILLING_SETTINGS,
}

export const SETTINGS_SCHEMA_VERSION = 1

/** Step v → v+1 on the raw stored object; index 0 upgrades version 0 (files written before schemaVersion). */
const MIGRATIONS: ReadonlyArray<(raw: Record<string, unknown>) => Record<string, unknown>> = [(raw) => raw]

export function migrateSettings(version: number, raw: unknown): Record<string, unknown> {
  if (!Number.isInteger(version) || version < 0) version = 0
  if (version > SETTINGS_SCHEMA_VERSION)
    throw new Error(
      `The settings file is from a newer CaptchaDesk (schema ${version}, this build knows ${SETTINGS_SCHEMA_VERSION}). Update the app.`,
    )
  let out =
    raw && typeof raw === 'object' && !Array.isArray(raw) ? { ...(raw as Record<string, unknown>) } : {}
  for (let v = version; v < SETTINGS_SCHEMA_VERSION; v++) out = MIGRATIONS[v]!(out)
  return out
}

/** Every known field that validates is kept; any other falls back to its default (nothing unknown survives). */
export function sanitizeSettings(raw: Record<string, unknown>): { settings: Settings; dropped: string[] } {
  const shape = settingsSchema.shape
  const out: Record<string, unknown> = {}
  const dropped: string[] = []
  for (const key of Object.keys(shape) as Array<keyof Settings>) {
    if (!(key in raw)) {
      out[key] = DEFAULT_SETTINGS[key]
      continue
    }
    const r = shape[key].safeParse(raw[key])
    if (r.success) out[key] = r.data
    else {
      out[key] = DEFAULT_SETTINGS[key]
      dropped.push(key)
    }
  }
  const whole = settingsSchema.safeParse(out)
  return whole.success ? { settings: whole.data, dropped } : { settings: DEFAULT_SETTINGS, dropped: ['*'] }
}

export interface SettingsStore {
  get(): Settings
  update(patch: SettingsPatch): Settings
  onChange(listener: (s: Settings) => void): () => void
  /** What happened at load time (a damaged file set aside, fields reset), for the audit log and the console. */
  readonly loadNotes: string[]
}

type Stored = { schemaVersion: number; settings: Settings }

function openConf(dataDir: string, notes: string[], now: () => number): Conf<Stored> {
  const make = () =>
    new Conf<Stored>({
      cwd: dataDir,
      configName: 'settings',
      configFileMode: 0o600,
      clearInvalidConfig: false,
      defaults: { schemaVersion: SETTINGS_SCHEMA_VERSION, settings: DEFAULT_SETTINGS },
    })
  try {
    return make()
  } catch (err) {
    // Unreadable JSON: keep the file for the operator, start from the defaults.
    const file = join(dataDir, 'settings.json')
    if (!existsSync(file)) throw err
    const aside = `${file}.damaged-${now()}`
    renameSync(file, aside)
    notes.push(`The settings file could not be read; it was kept as ${aside} and the defaults are in use.`)
    return make()
  }
}

export function createSettingsStore(
  dataDir: string,
  overrides: SettingsPatch = {},
  now: () => number = Date.now,
): SettingsStore {
  const notes: string[] = []
  const store = openConf(dataDir, notes, now)
  const listeners = new Set<(s: Settings) => void>()
  const { settings: loaded, dropped } = sanitizeSettings(
    migrateSettings(Number(store.get('schemaVersion') ?? 0), store.get('settings')),
  )
  if (dropped.length)
    notes.push(`Settings reset to defaults because they were invalid: ${dropped.join(', ')}.`)
  if (store.get('schemaVersion') !== SETTINGS_SCHEMA_VERSION)
    store.set('schemaVersion', SETTINGS_SCHEMA_VERSION)
  const withOverrides = settingsSchema.safeParse({ ...loaded, ...overrides })
  if (!withOverrides.success) throw new Error('Invalid settings overrides for this engine.')
  let current: Settings = withOverrides.data
  return {
    loadNotes: notes,
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
