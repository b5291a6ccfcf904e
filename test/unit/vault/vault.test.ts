import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  DeviceUnlockError,
  KeyVault,
  NoKeyError,
  VaultDamagedError,
  VaultLockedError,
  VaultThrottledError,
  WeakKdfError,
  WrongPassphraseError,
  type DeviceKeyProtector,
  type VaultOptions,
} from '../../../electron/engine/vault'

const FAST: VaultOptions = { kdf: { N: 2 ** 10, r: 8, p: 1 }, allowWeakKdfForTests: true }
const PASS = 'correct horse battery'
const PLATFORM = 'P1a2b3c4d5e6f7g8h9i0j1k2l3m4n5o6'
const TENANT_A = 'AAAAbbbbCCCCddddEEEEffffGGGGhhh1'
const TENANT_B = 'BBBBccccDDDDeeeeFFFFggggHHHHiii2'

let dir: string
let path: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vault-'))
  path = join(dir, 'vault.json')
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

async function filled(opts: VaultOptions = {}): Promise<KeyVault> {
  const v = KeyVault.open(path, { ...FAST, ...opts })
  await v.create(PASS)
  v.setPlatformKey(PLATFORM, 'Main plan')
  v.setTenantKey('t_a', TENANT_A, 'Acme own key')
  v.setTenantKey('t_b', TENANT_B)
  return v
}

function allFilesText(): string {
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'latin1'))
    .join('\n')
}

describe('key vault', () => {
  it('stores keys encrypted in a 0600 file and describes them masked only', async () => {
    const v = await filled()
    expect(statSync(path).mode & 0o777).toBe(0o600)
    const text = allFilesText()
    for (const k of [PLATFORM, TENANT_A, TENANT_B, PASS]) {
      expect(text).not.toContain(k)
      expect(text).not.toContain(Buffer.from(k).toString('base64').slice(0, 20))
    }
    const infos = v.describe()
    expect(infos).toHaveLength(3)
    expect(infos.find((i) => i.tenantId === 't_a')).toMatchObject({
      scope: 'tenant',
      label: 'Acme own key',
      last4: 'hhh1',
      fingerprint: expect.stringMatching(/^[0-9a-f]{12}$/),
    })
    expect(JSON.stringify(infos)).not.toContain(TENANT_A)
  })

  it('key mode decides the key: own → the tenant’s, shared → the platform’s; no silent fallback', async () => {
    const v = await filled()
    expect(v.readKeyForSolve('t_a', 'own').key).toBe(TENANT_A)
    expect(v.readKeyForSolve('t_a', 'shared').key).toBe(PLATFORM)
    expect(() => v.readKeyForSolve('t_none', 'own')).toThrow(NoKeyError)
    v.removePlatformKey()
    expect(() => v.readKeyForSolve('t_a', 'shared')).toThrow(/No platform key/)
  })

  it('a wrong passphrase never unlocks, and repeated misses are throttled with growing delays', async () => {
    let t = 1_000_000
    await filled({ now: () => t })
    const v = KeyVault.open(path, { ...FAST, now: () => t })
    for (const wrong of ['wrong passphrase!', 'correct horse batterY', '']) {
      await expect(v.unlock(wrong)).rejects.toThrow(WrongPassphraseError)
    }
    expect(v.isUnlocked()).toBe(false)
    // The third miss starts the delays: 1 s, then 2 s …, and even the right passphrase waits.
    let throttled = (await v.unlock(PASS).catch((e: unknown) => e)) as VaultThrottledError
    expect(throttled).toBeInstanceOf(VaultThrottledError)
    expect(throttled.retryAfterMs).toBe(1_000)
    t += 1_000
    await expect(v.unlock('x'.repeat(2000))).rejects.toThrow(WrongPassphraseError)
    throttled = (await v.unlock(PASS).catch((e: unknown) => e)) as VaultThrottledError
    expect(throttled.retryAfterMs).toBe(2_000)
    // A restart does not reset the delay.
    const restarted = KeyVault.open(path, { ...FAST, now: () => t })
    expect(
      ((await restarted.unlock(PASS).catch((e: unknown) => e)) as VaultThrottledError).retryAfterMs,
    ).toBe(2_000)
    t += 2_000
    await v.unlock(PASS)
    expect(v.readKeyForSolve('t_b', 'own').key).toBe(TENANT_B)
  })

  it('locked vault refuses every key read and zeroes its key material', async () => {
    const v = await filled()
    v.lock()
    expect(() => v.describe()).toThrow(VaultLockedError)
    expect(() => v.readKeyForSolve('t_a', 'own')).toThrow(VaultLockedError)
    expect(() => v.setTenantKey('t_c', TENANT_A)).toThrow(VaultLockedError)
    expect(() => v.removeTenantKey('t_a')).toThrow(VaultLockedError)
    expect(() => v.enableDeviceUnlock()).toThrow(VaultLockedError)
  })

  it('auto-locks after idle time', async () => {
    let t = 0
    const v = await filled({ now: () => t, idleLockMs: 60_000 })
    const reasons: string[] = []
    v.onLock((r) => reasons.push(r))
    t = 59_000
    v.checkIdle()
    expect(v.isUnlocked()).toBe(true)
    v.touch()
    t = 59_000 + 60_000
    v.checkIdle()
    expect(v.isUnlocked()).toBe(false)
    expect(reasons).toEqual(['idle'])
    // The operator can change the idle time while it runs (settings); 0 turns it off.
    await v.unlock(PASS)
    v.setIdleLock(0)
    t += 10 * 60_000
    v.checkIdle()
    expect(v.isUnlocked()).toBe(true)
  })

  it('flipping any byte of the file is detected (never a silent unlock with altered content)', async () => {
    await filled()
    const original = readFileSync(path)
    let undetected = 0
    for (let i = 0; i < original.length; i++) {
      const copy = Buffer.from(original)
      copy[i] = copy[i]! ^ 0x01
      writeFileSync(path, copy)
      rmSync(`${path}.throttle`, { force: true }) // each try must really attempt the unlock
      try {
        const v = KeyVault.open(path, FAST)
        await v.unlock(PASS)
        v.describe()
        undetected++
      } catch (err) {
        expect(err).not.toBeInstanceOf(VaultThrottledError)
        expect(err).toBeInstanceOf(Error)
        expect((err as Error).message).not.toContain(PLATFORM)
      }
    }
    expect(undetected).toBe(0)
    // A damaged file is left exactly as it was.
    const damaged = Buffer.from(original)
    damaged[10] = 0x00
    writeFileSync(path, damaged)
    expect(() => KeyVault.open(path, FAST)).toThrow(VaultDamagedError)
    expect(readFileSync(path).equals(damaged)).toBe(true)
  }, 120_000)

  it('a ciphertext moved to another tenant fails', async () => {
    await filled()
    const f = JSON.parse(readFileSync(path, 'utf8'))
    const a = f.entries.find((e: { scope: string }) => e.scope === 'tenant:t_a')
    const b = f.entries.find((e: { scope: string }) => e.scope === 'tenant:t_b')
    ;[a.sealed, b.sealed] = [b.sealed, a.sealed]
    writeFileSync(path, JSON.stringify(f))
    const v = KeyVault.open(path, FAST)
    await expect(v.unlock(PASS)).rejects.toThrow(VaultDamagedError)
  })

  it('refuses a downgraded KDF header (anti-downgrade)', async () => {
    const v = KeyVault.open(path, FAST)
    await v.create(PASS)
    expect(() => KeyVault.open(path)).toThrow(WeakKdfError)
    expect(() => KeyVault.open(join(dir, 'other.json'), { kdf: { N: 2 ** 10, r: 8, p: 1 } })).toThrow(
      WeakKdfError,
    )
  })

  it('changes the passphrase atomically: a crash between write steps leaves the old one working', async () => {
    await filled()
    const crashing = KeyVault.open(path, {
      ...FAST,
      hooks: {
        beforeRename: () => {
          throw new Error('power cut')
        },
      },
    })
    await expect(crashing.changePassphrase(PASS, 'a brand new passphrase')).rejects.toThrow('power cut')
    const after = KeyVault.open(path, FAST)
    await after.unlock(PASS)
    expect(after.readKeyForSolve('t_a', 'own').key).toBe(TENANT_A)
    await after.changePassphrase(PASS, 'a brand new passphrase')
    const reopened = KeyVault.open(path, FAST)
    await expect(reopened.unlock(PASS)).rejects.toThrow(WrongPassphraseError)
    await reopened.unlock('a brand new passphrase')
    expect(reopened.readKeyForSolve('t_b', 'own').key).toBe(TENANT_B)
  })

  it('rotates the data key atomically: a crash leaves the old vault whole; a finished rotation re-encrypts every entry', async () => {
    await filled()
    const before = JSON.parse(readFileSync(path, 'utf8'))
    const crashing = KeyVault.open(path, {
      ...FAST,
      hooks: {
        afterTempWrite: () => {
          throw new Error('crash')
        },
      },
    })
    await expect(crashing.rotateDataKey(PASS)).rejects.toThrow('crash')
    const v = KeyVault.open(path, FAST)
    await v.unlock(PASS)
    expect(v.readKeyForSolve('t_a', 'own').key).toBe(TENANT_A)
    await v.rotateDataKey(PASS)
    const after = JSON.parse(readFileSync(path, 'utf8'))
    expect(after.wrappedDek.ct).not.toBe(before.wrappedDek.ct)
    for (const e of after.entries)
      expect(before.entries.some((b: { sealed: { ct: string } }) => b.sealed.ct === e.sealed.ct)).toBe(false)
    const again = KeyVault.open(path, FAST)
    await again.unlock(PASS)
    expect(again.readKeyForSolve('t_a', 'shared').key).toBe(PLATFORM)
  })

  it('validates inputs without echoing them', async () => {
    const v = KeyVault.open(path, FAST)
    await expect(v.create('short')).rejects.toThrow(/at least 10/)
    await v.create(PASS)
    const bad = 'not-a-key-but-a-secret-value!!!!'
    const err = (() => {
      try {
        v.setPlatformKey(bad)
      } catch (e) {
        return e as Error
      }
    })()
    expect(err?.message).toMatch(/32 letters and digits/)
    expect(err?.message).not.toContain(bad)
    expect(() => v.setTenantKey('../etc', TENANT_A)).toThrow(/tenant id/)
    await expect(KeyVault.open(path, FAST).create(PASS)).rejects.toThrow(/already exists/)
  })

  describe('unlock with this device', () => {
    const device = (backend: string, available = true): DeviceKeyProtector => ({
      backend: () => backend,
      isAvailable: () => available,
      protect: (b) => Buffer.from(b.map((x) => x ^ 0x5a)),
      unprotect: (b) => Buffer.from(b.map((x) => x ^ 0x5a)),
    })

    it('is refused on the basic_text backend', async () => {
      const v = await filled({ device: device('basic_text') })
      expect(() => v.enableDeviceUnlock()).toThrow(/basic_text/)
    })

    it('unlocks with the keystore, and is invalidated when the backend changes', async () => {
      const v = await filled({ device: device('gnome_libsecret') })
      v.enableDeviceUnlock()
      const again = KeyVault.open(path, { ...FAST, device: device('gnome_libsecret') })
      await again.unlockWithDevice()
      expect(again.readKeyForSolve('t_a', 'own').key).toBe(TENANT_A)
      const moved = KeyVault.open(path, { ...FAST, device: device('kwallet5') })
      await expect(moved.unlockWithDevice()).rejects.toThrow(DeviceUnlockError)
      await moved.unlock(PASS)
      expect(moved.deviceUnlockEnabled()).toBe(false)
    })
  })
})
