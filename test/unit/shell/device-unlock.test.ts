import { beforeEach, describe, expect, it, vi } from 'vitest'

const fake = vi.hoisted(() => ({
  backend: 'gnome_libsecret',
  available: true,
}))

vi.mock('electron', () => ({
  safeStorage: {
    isEncryptionAvailable: () => fake.available,
    getSelectedStorageBackend: () => fake.backend,
    encryptString: (s: string) => Buffer.from(`enc:${s}`),
    decryptString: (b: Buffer) => b.toString().replace(/^enc:/, ''),
  },
}))

const { createSafeStorageProtector } = await import('../../../electron/main/device-unlock')

describe('safeStorage device protector (electron test double)', () => {
  beforeEach(() => {
    fake.backend = 'gnome_libsecret'
    fake.available = true
  })

  it('round-trips the data key through safeStorage', () => {
    const p = createSafeStorageProtector('linux')
    const dek = Buffer.from('0123456789abcdef0123456789abcdef')
    expect(p.unprotect(p.protect(dek)).equals(dek)).toBe(true)
    expect(p.backend()).toBe('gnome_libsecret')
    expect(p.isAvailable()).toBe(true)
  })

  it('is unavailable on the basic_text backend or without encryption', () => {
    fake.backend = 'basic_text'
    expect(createSafeStorageProtector('linux').isAvailable()).toBe(false)
    fake.backend = 'kwallet5'
    fake.available = false
    expect(createSafeStorageProtector('linux').isAvailable()).toBe(false)
  })

  it('names the macOS and Windows keystores', () => {
    expect(createSafeStorageProtector('darwin').backend()).toBe('keychain')
    expect(createSafeStorageProtector('win32').backend()).toBe('dpapi')
  })
})
