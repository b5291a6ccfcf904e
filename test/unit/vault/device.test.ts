import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DeviceUnlockError, KeyVault } from '../../../electron/engine/vault'
import {
  caught,
  FAST,
  fakeDevice,
  filled,
  PASS,
  PLATFORM,
  readFile,
  tempVault,
  TENANT_A,
  type TempVault,
} from './helpers'

const fake = vi.hoisted(() => ({ backend: 'gnome_libsecret', available: true, calls: [] as string[] }))
vi.mock('electron', () => ({
  safeStorage: {
    isEncryptionAvailable: () => fake.available,
    getSelectedStorageBackend: () => fake.backend,
    encryptString: (s: string) => {
      fake.calls.push('encrypt')
      return Buffer.from(s, 'utf8').map((x) => x ^ 0x33)
    },
    decryptString: (b: Buffer) => {
      fake.calls.push('decrypt')
      return Buffer.from(b.map((x) => x ^ 0x33)).toString('utf8')
    },
  },
}))
const { createSafeStorageProtector } = await import('../../../electron/main/device-unlock')

let t: TempVault
beforeEach(() => {
  t = tempVault()
  Object.assign(fake, { backend: 'gnome_libsecret', available: true, calls: [] })
})
afterEach(() => t.cleanup())

describe('unlock with this device (engine side, fake keystore)', () => {
  it('is refused on the basic_text backend and when no keystore is available', async () => {
    const basic = await filled(t.path, { device: fakeDevice('basic_text').protector })
    expect(() => basic.enableDeviceUnlock()).toThrow(/basic_text/)
    basic.lock()
    const none = KeyVault.open(t.path, { ...FAST, device: fakeDevice('kwallet5', false).protector })
    await none.unlock(PASS)
    expect(() => none.enableDeviceUnlock()).toThrow(DeviceUnlockError)
    const headless = KeyVault.open(t.path, FAST)
    await headless.unlock(PASS)
    expect(() => headless.enableDeviceUnlock()).toThrow(/No system keystore/)
    expect(readFile(t.path).deviceUnlock).toBeNull()
    await expect(headless.unlockWithDevice()).rejects.toThrow(/not enabled/)
  })

  it('unlocks with the keystore; never stores the passphrase or the data key in clear', async () => {
    const { protector } = fakeDevice('gnome_libsecret')
    const v = await filled(t.path, { device: protector })
    v.enableDeviceUnlock()
    expect(v.deviceUnlockEnabled()).toBe(true)
    const f = readFile(t.path)
    expect(f.deviceUnlock).toMatchObject({ backend: 'gnome_libsecret', wrappedDek: expect.any(String) })
    const dek = (v as unknown as { dek: Buffer }).dek
    expect(f.deviceUnlock!.wrappedDek).not.toBe(dek.toString('base64'))
    const again = KeyVault.open(t.path, { ...FAST, device: protector })
    await again.unlockWithDevice()
    expect(again.readKeyForSolve('t_a', 'own').key).toBe(TENANT_A)
    again.disableDeviceUnlock()
    await expect(KeyVault.open(t.path, { ...FAST, device: protector }).unlockWithDevice()).rejects.toThrow(
      /not enabled/,
    )
  })

  it('is invalidated for good when the backend changes, even across restarts and a switch back', async () => {
    const dev = fakeDevice('gnome_libsecret')
    const v = await filled(t.path, { device: dev.protector })
    v.enableDeviceUnlock()
    dev.state.backend = 'kwallet5'
    const moved = KeyVault.open(t.path, { ...FAST, device: dev.protector })
    const err = await caught(moved.unlockWithDevice())
    expect(err).toBeInstanceOf(DeviceUnlockError)
    expect((err as Error).message).toMatch(/keystore changed/)
    expect(moved.deviceUnlockEnabled()).toBe(false)
    dev.state.backend = 'gnome_libsecret' // back to the old keystore: still off until enabled again
    const restarted = KeyVault.open(t.path, { ...FAST, device: dev.protector })
    await expect(restarted.unlockWithDevice()).rejects.toThrow(/turned off/)
    await restarted.unlock(PASS) // the passphrase unlock removes the stale record from the file
    expect(readFile(t.path).deviceUnlock).toBeNull()
    restarted.enableDeviceUnlock()
    await KeyVault.open(t.path, { ...FAST, device: dev.protector }).unlockWithDevice()
  })

  it('a passphrase unlock under a different backend drops the stale record', async () => {
    const dev = fakeDevice('kwallet5')
    const v = await filled(t.path, { device: dev.protector })
    v.enableDeviceUnlock()
    dev.state.backend = 'kwallet6'
    const w = KeyVault.open(t.path, { ...FAST, device: dev.protector })
    await w.unlock(PASS)
    expect(readFile(t.path).deviceUnlock).toBeNull()
    expect(w.deviceUnlockEnabled()).toBe(false)
  })

  it('a keystore that returns garbage or fails does not unlock and is reported clearly', async () => {
    const dev = fakeDevice('gnome_libsecret')
    const v = await filled(t.path, { device: dev.protector })
    v.enableDeviceUnlock()
    const wrong = { ...dev.protector, unprotect: () => Buffer.alloc(32, 7) }
    const w = KeyVault.open(t.path, { ...FAST, device: wrong })
    await expect(w.unlockWithDevice()).rejects.toThrow(/does not open this vault/)
    expect(w.isUnlocked()).toBe(false)
    const failing = {
      ...dev.protector,
      unprotect: () => {
        throw new Error('keyring locked')
      },
    }
    await expect(KeyVault.open(t.path, { ...FAST, device: failing }).unlockWithDevice()).rejects.toThrow(
      /could not open the vault/,
    )
  })

  it('key rotation renews the device wrap for the new data key', async () => {
    const dev = fakeDevice('gnome_libsecret')
    const v = await filled(t.path, { device: dev.protector })
    v.enableDeviceUnlock()
    const before = readFile(t.path).deviceUnlock!.wrappedDek
    await v.rotateDataKey(PASS)
    expect(readFile(t.path).deviceUnlock!.wrappedDek).not.toBe(before)
    const w = KeyVault.open(t.path, { ...FAST, device: dev.protector })
    await w.unlockWithDevice()
    expect(w.readKeyForSolve('x', 'shared').key).toBe(PLATFORM)
  })
})

describe('Electron safeStorage adapter (electron test double)', () => {
  it('round-trips the data key and works with the vault end to end', async () => {
    const p = createSafeStorageProtector('linux')
    expect(p.backend()).toBe('gnome_libsecret')
    expect(p.isAvailable()).toBe(true)
    const v = await filled(t.path, { device: p })
    v.enableDeviceUnlock()
    const w = KeyVault.open(t.path, { ...FAST, device: createSafeStorageProtector('linux') })
    await w.unlockWithDevice()
    expect(w.readKeyForSolve('t_a', 'own').key).toBe(TENANT_A)
    expect(fake.calls).toEqual(['encrypt', 'decrypt'])
  })

  it('reports unavailable on basic_text, before ready (unknown), or without encryption; the vault refuses it', async () => {
    for (const [backend, available] of [
      ['basic_text', true],
      ['basic_text', false],
      ['unknown', true],
      ['kwallet5', false],
    ] as const) {
      Object.assign(fake, { backend, available })
      expect(createSafeStorageProtector('linux').isAvailable()).toBe(false)
    }
    fake.backend = 'basic_text'
    const v = await filled(t.path, { device: createSafeStorageProtector('linux') })
    expect(() => v.enableDeviceUnlock()).toThrow(/basic_text/)
    expect(fake.calls).toEqual([])
  })

  it('names the macOS and Windows keystores', () => {
    expect(createSafeStorageProtector('darwin').backend()).toBe('keychain')
    expect(createSafeStorageProtector('win32').backend()).toBe('dpapi')
    fake.available = false
    expect(createSafeStorageProtector('darwin').isAvailable()).toBe(false)
  })
})
