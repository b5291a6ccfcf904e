import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ValidationError } from '../../../electron/engine/errors/engine-errors'
import {
  createSettingsStore,
  DEFAULT_SETTINGS,
  migrateSettings,
  SETTINGS_SCHEMA_VERSION,
} from '../../../electron/engine/settings/settings-store'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'settings-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('settings store', () => {
  it('starts on the Sandbox and persists validated changes to a 0600 file', () => {
    const s = createSettingsStore(dir)
    expect(s.get()).toEqual(DEFAULT_SETTINGS)
    s.update({ providerId: 'captchaai', sharedThreads: 20 })
    expect(statSync(join(dir, 'settings.json')).mode & 0o777).toBe(0o600)
    expect(createSettingsStore(dir).get()).toMatchObject({ providerId: 'captchaai', sharedThreads: 20 })
  })

  it('refuses a hosts-file name the certificate could not carry (an IP address), as the gateway would', () => {
    const s = createSettingsStore(dir)
    const gateway = (hostNames: string[]) => ({
      gateway: { ...s.get().gateway, hostsFileMode: true, hostNames },
    })
    expect(() => s.update(gateway(['10.0.0.5']))).toThrow(ValidationError)
    expect(s.update(gateway(['Captcha.Example.com', '*.example.org'])).gateway.hostNames).toEqual([
      'captcha.example.com',
      '*.example.org',
    ])
  })

  it('refuses bad values with field errors and changes nothing', () => {
    const s = createSettingsStore(dir)
    s.update({ autoLockMinutes: 5 })
    const before = readFileSync(join(dir, 'settings.json'), 'utf8')
    for (const bad of [
      { baseUrl: 'javascript:alert(1)' },
      { sharedThreads: 0 },
      { currency: 'usd' },
      { gateway: { enabled: true, port: 70_000, allowLan: false } },
      { surprise: 1 },
      { providerId: 'custom' },
    ]) {
      expect(() => s.update(bad as never)).toThrow(ValidationError)
    }
    expect(readFileSync(join(dir, 'settings.json'), 'utf8')).toBe(before)
    expect(s.get().autoLockMinutes).toBe(5)
  })

  it('keeps a damaged file aside (never deletes it) and starts from the defaults', () => {
    writeFileSync(join(dir, 'settings.json'), '{"settings": {"providerId": "captchaai"', { mode: 0o600 })
    const s = createSettingsStore(dir)
    expect(s.get()).toEqual(DEFAULT_SETTINGS)
    expect(s.loadNotes[0]).toMatch(/could not be read; it was kept as .*settings\.json\.damaged-\d+/)
    const aside = readdirSync(dir).find((f) => f.startsWith('settings.json.damaged-'))!
    expect(readFileSync(join(dir, aside), 'utf8')).toBe('{"settings": {"providerId": "captchaai"')
    s.update({ currency: 'EUR' })
    expect(createSettingsStore(dir).get().currency).toBe('EUR')
  })

  it('resets only the fields that no longer validate, and drops unknown ones', () => {
    writeFileSync(
      join(dir, 'settings.json'),
      JSON.stringify({
        schemaVersion: 1,
        settings: { ...DEFAULT_SETTINGS, providerId: 'captchaai', sharedThreads: -3, legacyThing: 1 },
      }),
    )
    const s = createSettingsStore(dir)
    expect(s.get()).toEqual({ ...DEFAULT_SETTINGS, providerId: 'captchaai' })
    expect(s.loadNotes).toEqual(['Settings reset to defaults because they were invalid: sharedThreads.'])
  })

  it('migrates files without a schemaVersion, and refuses files from a newer app', () => {
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ settings: { currency: 'GBP' } }))
    expect(createSettingsStore(dir).get()).toEqual({ ...DEFAULT_SETTINGS, currency: 'GBP' })
    expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')).schemaVersion).toBe(
      SETTINGS_SCHEMA_VERSION,
    )
    expect(() => migrateSettings(SETTINGS_SCHEMA_VERSION + 1, {})).toThrow(/newer CaptchaDesk/)
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ schemaVersion: 99, settings: {} }))
    expect(() => createSettingsStore(dir)).toThrow(/Update the app/)
  })

  it('tells listeners about every accepted change, and only those', () => {
    const s = createSettingsStore(dir)
    const seen: number[] = []
    const off = s.onChange((v) => seen.push(v.autoLockMinutes))
    s.update({ autoLockMinutes: 3 })
    expect(() => s.update({ autoLockMinutes: -1 })).toThrow(ValidationError)
    off()
    s.update({ autoLockMinutes: 4 })
    expect(seen).toEqual([3])
  })
})
