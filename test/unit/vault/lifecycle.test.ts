import { readFileSync, statSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  KeyVault,
  keyFingerprint,
  NoKeyError,
  VaultError,
  VaultExistsError,
  VaultLockedError,
  WrongPassphraseError,
} from '../../../electron/engine/vault'
import {
  caught,
  FAST,
  filled,
  findLeaks,
  allFilesText,
  NEW_PASS,
  PASS,
  PLATFORM,
  tempVault,
  TENANT_A,
  TENANT_B,
  type TempVault,
  createVault,
} from './helpers'

let t: TempVault
beforeEach(() => {
  t = tempVault()
})
afterEach(() => {
  vi.useRealTimers()
  t.cleanup()
})

describe('key vault lifecycle', () => {
  it('creates a 0600 file with the documented header and no plaintext secret', async () => {
    const v = await filled(t.path)
    expect(statSync(t.path).mode & 0o777).toBe(0o600)
    const f = JSON.parse(readFileSync(t.path, 'utf8'))
    expect(f).toMatchObject({
      format: 'captchadesk-vault',
      version: 1,
      vaultId: expect.stringMatching(/^[0-9a-f]{32}$/),
      kdf: { name: 'scrypt', N: 2 ** 10, r: 8, p: 1, salt: expect.any(String) },
      wrappedDek: { v: 1, alg: 'A256GCM' },
      deviceUnlock: null,
    })
    expect(Buffer.from(f.kdf.salt, 'base64')).toHaveLength(16)
    expect(f.entries.map((e: { scope: string }) => e.scope).sort()).toEqual([
      'platform',
      'tenant:t_a',
      'tenant:t_b',
    ])
    expect(findLeaks(allFilesText(t.dir))).toEqual([])
    expect(v.isUnlocked()).toBe(true)
  })

  it('describes keys masked only: label, last 4, fingerprint, dates', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z')
    const v = await filled(t.path, { now: () => now })
    now += 60_000
    v.setTenantKey('t_a', TENANT_B, 'replaced')
    const infos = v.describe()
    expect(infos).toHaveLength(3)
    const a = infos.find((i) => i.tenantId === 't_a')!
    expect(a).toEqual({
      scope: 'tenant',
      tenantId: 't_a',
      label: 'replaced',
      last4: 'iii2',
      fingerprint: keyFingerprint(TENANT_B),
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:01:00.000Z',
    })
    expect(infos.find((i) => i.scope === 'platform')).toMatchObject({
      tenantId: null,
      label: 'Main plan',
      last4: 'n5o6',
    })
    expect(findLeaks(JSON.stringify(infos))).toEqual([])
  })

  it('key mode decides the key: own → the tenant’s, shared → the platform’s; never a silent fallback', async () => {
    const v = await filled(t.path)
    expect(v.readKeyForSolve('t_a', 'own')).toEqual({ key: TENANT_A, fingerprint: keyFingerprint(TENANT_A) })
    expect(v.readKeyForSolve('t_a', 'shared').key).toBe(PLATFORM)
    expect(v.readKeyForSolve('t_none', 'shared').key).toBe(PLATFORM)
    const err = await caught(() => v.readKeyForSolve('t_none', 'own'))
    expect(err).toBeInstanceOf(NoKeyError)
    expect((err as Error).message).toMatch(/tenant has no key of its own/)
    v.removePlatformKey()
    expect(() => v.readKeyForSolve('t_a', 'shared')).toThrow(/No platform key/)
    expect(v.readKeyForSolve('t_a', 'own').key).toBe(TENANT_A)
    expect(v.removeTenantKey('t_a')).toBe(true)
    expect(v.removeTenantKey('t_a')).toBe(false)
    expect(() => v.readKeyForSolve('t_a', 'own')).toThrow(NoKeyError)
    expect(() => v.readKeyForSolve('t_a', 'both' as 'own')).toThrow(VaultError)
    // Survives a reopen.
    const again = KeyVault.open(t.path, FAST)
    await again.unlock(PASS)
    expect(again.describe().map((i) => i.tenantId)).toEqual(['t_b'])
  })

  it('a locked vault refuses every key read and write, and lock zeroes the data key', async () => {
    const v = await filled(t.path)
    const dek = (v as unknown as { dek: Buffer }).dek
    expect(dek.equals(Buffer.alloc(32))).toBe(false)
    const reasons: string[] = []
    v.onLock((r) => reasons.push(r))
    v.lock('operator')
    expect(dek.equals(Buffer.alloc(32))).toBe(true)
    expect(reasons).toEqual(['operator'])
    for (const read of [
      () => v.describe(),
      () => v.readKeyForSolve('t_a', 'own'),
      () => v.readKeyForSolve('t_a', 'shared'),
      () => v.setTenantKey('t_c', TENANT_A),
      () => v.setPlatformKey(PLATFORM),
      () => v.removeTenantKey('t_a'),
      () => v.removePlatformKey(),
      () => v.enableDeviceUnlock(),
      () => v.disableDeviceUnlock(),
    ]) {
      expect(read).toThrow(VaultLockedError)
    }
    v.lock() // locking twice is harmless and does not notify again
    expect(reasons).toEqual(['operator'])
  })

  it('a wrong passphrase never unlocks', async () => {
    await filled(t.path)
    let now = 0
    const v = KeyVault.open(t.path, { ...FAST, now: () => now })
    for (const wrong of [
      'wrong passphrase!',
      'correct horse batterY',
      'correct horse battery ',
      '',
      'x'.repeat(5000),
    ]) {
      now += 120_000 // past any delay
      await expect(v.unlock(wrong)).rejects.toThrow(WrongPassphraseError)
      expect(v.isUnlocked()).toBe(false)
    }
    now += 120_000
    await v.unlock(PASS)
    expect(v.isUnlocked()).toBe(true)
  })

  it('a lock (suspend, screen lock) during an unlock in progress wins', async () => {
    await filled(t.path)
    const v = KeyVault.open(t.path, FAST)
    const unlocking = v.unlock(PASS)
    v.lock('suspend')
    await expect(unlocking).rejects.toThrow(VaultLockedError)
    expect(v.isUnlocked()).toBe(false)
    await v.unlock(PASS)
    expect(v.isUnlocked()).toBe(true)
  })

  it('auto-locks after the configured idle time, checked by its own timer', async () => {
    vi.useFakeTimers()
    let now = 0
    const v = await filled(t.path, { now: () => now, idleLockMs: 60_000 })
    const reasons: string[] = []
    v.onLock((r) => reasons.push(r))
    now = 59_000
    vi.advanceTimersByTime(59_000)
    expect(v.isUnlocked()).toBe(true)
    v.touch() // operator activity
    now = 110_000
    vi.advanceTimersByTime(50_000)
    expect(v.isUnlocked()).toBe(true)
    now = 120_000
    vi.advanceTimersByTime(10_000)
    expect(v.isUnlocked()).toBe(false)
    expect(reasons).toEqual(['idle'])
    // Reads that are not operator activity do not hold the lock off.
    await v.unlock(PASS)
    now += 30_000
    v.readKeyForSolve('t_a', 'own', { touch: false })
    now += 30_000
    vi.advanceTimersByTime(60_000)
    expect(v.isUnlocked()).toBe(false)
    // 0 turns it off; the setting applies live.
    await v.unlock(PASS)
    v.setIdleLock(0)
    now += 10 * 60_000
    vi.advanceTimersByTime(10 * 60_000)
    expect(v.isUnlocked()).toBe(true)
    v.setIdleLock(5_000)
    now += 5_000
    vi.advanceTimersByTime(5_000)
    expect(v.isUnlocked()).toBe(false)
    expect(vi.getTimerCount()).toBe(0) // the timer stops with the lock
  })

  it('changes the passphrase: only the wrap changes, entries stay byte-identical, old passphrase stops working', async () => {
    const v = await filled(t.path)
    const before = JSON.parse(readFileSync(t.path, 'utf8'))
    await expect(v.changePassphrase(PASS, 'short')).rejects.toThrow(/at least 10/)
    await expect(v.changePassphrase('not the passphrase', NEW_PASS)).rejects.toThrow(WrongPassphraseError)
    await v.changePassphrase(PASS, NEW_PASS)
    const after = JSON.parse(readFileSync(t.path, 'utf8'))
    expect(after.entries).toEqual(before.entries)
    expect(after.kdf.salt).not.toBe(before.kdf.salt)
    expect(after.wrappedDek.ct).not.toBe(before.wrappedDek.ct)
    expect(v.isUnlocked()).toBe(true)
    const reopened = KeyVault.open(t.path, FAST)
    await expect(reopened.unlock(PASS)).rejects.toThrow(WrongPassphraseError)
    await reopened.unlock(NEW_PASS)
    expect(reopened.readKeyForSolve('t_b', 'own').key).toBe(TENANT_B)
  })

  it('a passphrase change upgrades the KDF cost to the configured one', async () => {
    await filled(t.path)
    const v = KeyVault.open(t.path, { ...FAST, kdf: { N: 2 ** 11, r: 8, p: 1 } })
    await v.changePassphrase(PASS, NEW_PASS)
    expect(v.kdfParams()).toEqual({ name: 'scrypt', N: 2 ** 11, r: 8, p: 1 })
  })

  it('rotates the data key: every entry re-encrypted, keys unchanged, a locked vault stays locked', async () => {
    const v = await filled(t.path)
    const before = JSON.parse(readFileSync(t.path, 'utf8'))
    const fingerprints = v.describe().map((i) => i.fingerprint)
    await v.rotateDataKey(PASS)
    const after = JSON.parse(readFileSync(t.path, 'utf8'))
    expect(after.vaultId).toBe(before.vaultId)
    for (const e of after.entries)
      expect(before.entries.some((b: { sealed: { ct: string } }) => b.sealed.ct === e.sealed.ct)).toBe(false)
    expect(v.describe().map((i) => i.fingerprint)).toEqual(fingerprints) // stable: the ledger's account ids hold
    expect(v.readKeyForSolve('t_a', 'own').key).toBe(TENANT_A)
    v.lock()
    await v.rotateDataKey(PASS)
    expect(v.isUnlocked()).toBe(false)
    const again = KeyVault.open(t.path, FAST)
    await again.unlock(PASS)
    expect(again.readKeyForSolve('t_a', 'shared').key).toBe(PLATFORM)
    await expect(again.rotateDataKey('wrong passphrase')).rejects.toThrow(WrongPassphraseError)
  })

  it('keeps concurrent changes: a key set while a passphrase change runs is not lost', async () => {
    const v = await filled(t.path)
    const change = v.changePassphrase(PASS, NEW_PASS)
    v.setTenantKey('t_c', TENANT_A, 'set meanwhile')
    await change
    const again = KeyVault.open(t.path, FAST)
    await again.unlock(NEW_PASS)
    expect(again.readKeyForSolve('t_c', 'own').key).toBe(TENANT_A)
    const rotate = again.rotateDataKey(NEW_PASS)
    again.setTenantKey('t_d', TENANT_B)
    await rotate
    const third = KeyVault.open(t.path, FAST)
    await third.unlock(NEW_PASS)
    expect(third.readKeyForSolve('t_d', 'own').key).toBe(TENANT_B)
  })

  it('validates every input with a clear error that never echoes the value', async () => {
    const v = KeyVault.open(t.path, FAST)
    await expect(v.unlock(PASS)).rejects.toThrow(/No vault exists yet/)
    await expect(v.create('short')).rejects.toThrow(/at least 10/)
    await expect(v.create('x'.repeat(1025))).rejects.toThrow(/longer than 1024/)
    await v.create(PASS)
    for (const bad of ['not-a-key-but-a-secret-value!!!!', 'tooShortButSecret123', `${TENANT_A}X`, '']) {
      const err = (await caught(() => v.setPlatformKey(bad))) as Error
      expect(err.message).toMatch(/32 letters and digits/)
      if (bad) expect(err.message).not.toContain(bad.slice(0, 8))
    }
    expect(() => v.setTenantKey('../etc', TENANT_A)).toThrow(/tenant id/)
    expect(() => v.setTenantKey('t_a', TENANT_A, 'x'.repeat(81))).toThrow(/label/)
    expect(() => v.setTenantKey('t_a', TENANT_A, 'bad\nlabel')).toThrow(/control/)
    expect(v.setTenantKey('t_a', `  ${TENANT_A}\n`).last4).toBe('hhh1') // pasted with spaces: trimmed
    await expect(KeyVault.open(t.path, FAST).create(PASS)).rejects.toThrow(VaultExistsError)
    await expect(createVault(t.path, PASS, FAST)).rejects.toThrow(VaultExistsError)
  })
})
