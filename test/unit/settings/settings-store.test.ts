import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ValidationError } from '../../../electron/engine/errors/engine-errors'
import { createSettingsStore, DEFAULT_SETTINGS } from '../../../electron/engine/settings/settings-store'

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
})
