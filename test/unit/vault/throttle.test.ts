import { readFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { KeyVault, VaultThrottledError, WrongPassphraseError } from '../../../electron/engine/vault'
import { caught, FAST, filled, NEW_PASS, PASS, tempVault, type TempVault } from './helpers'

let t: TempVault
beforeEach(() => {
  t = tempVault()
})
afterEach(() => t.cleanup())

const retryAfter = async (p: Promise<unknown>): Promise<number> => {
  const err = await caught(p)
  expect(err).toBeInstanceOf(VaultThrottledError)
  return (err as VaultThrottledError).retryAfterMs
}

describe('unlock throttling', () => {
  it('delays grow 0, 0, 1, 2, 4 … s up to a minute; even the right passphrase waits; the vault file is never written', async () => {
    let now = 1_000_000
    await filled(t.path)
    const fileBefore = readFileSync(t.path)
    const v = KeyVault.open(t.path, { ...FAST, now: () => now })
    const expected = [0, 0, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]
    for (const delay of expected) {
      await expect(v.unlock('wrong passphrase!')).rejects.toThrow(WrongPassphraseError)
      if (delay > 0) {
        expect(await retryAfter(v.unlock(PASS))).toBe(delay)
        now += delay - 1
        expect(await retryAfter(v.unlock(PASS))).toBe(1)
        now += 1
      }
    }
    expect(readFileSync(t.path).equals(fileBefore)).toBe(true)
    await v.unlock(PASS)
    // Success resets the count.
    v.lock()
    await expect(v.unlock('wrong passphrase!')).rejects.toThrow(WrongPassphraseError)
    await expect(v.unlock('wrong passphrase!')).rejects.toThrow(WrongPassphraseError)
    await expect(v.unlock('wrong passphrase!')).rejects.toThrow(WrongPassphraseError)
    expect(await retryAfter(v.unlock(PASS))).toBe(1_000)
  })

  it('a restart does not reset the delay', async () => {
    let now = 5_000_000
    await filled(t.path)
    const v = KeyVault.open(t.path, { ...FAST, now: () => now })
    for (let i = 0; i < 4; i++) {
      await expect(v.unlock('wrong passphrase!')).rejects.toThrow(WrongPassphraseError)
      now += 60_000
    }
    now -= 60_000
    const restarted = KeyVault.open(t.path, { ...FAST, now: () => now })
    expect(await retryAfter(restarted.unlock(PASS))).toBe(2_000)
  })

  it('parallel guesses cannot slip past the delay', async () => {
    const now = 0
    await filled(t.path)
    const v = KeyVault.open(t.path, { ...FAST, now: () => now })
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => v.unlock(`wrong passphrase ${i}`)),
    )
    const wrong = results.filter((r) => r.status === 'rejected' && r.reason instanceof WrongPassphraseError)
    const throttled = results.filter(
      (r) => r.status === 'rejected' && r.reason instanceof VaultThrottledError,
    )
    expect(wrong).toHaveLength(3) // then the first delay starts, and every queued guess is refused unchecked
    expect(throttled).toHaveLength(17)
  })

  it('passphrase change and key rotation are throttled too (no side door for guessing)', async () => {
    let now = 0
    await filled(t.path)
    const v = KeyVault.open(t.path, { ...FAST, now: () => now })
    await expect(v.changePassphrase('guess number one', NEW_PASS)).rejects.toThrow(WrongPassphraseError)
    await expect(v.rotateDataKey('guess number two')).rejects.toThrow(WrongPassphraseError)
    await expect(v.unlock('guess number three')).rejects.toThrow(WrongPassphraseError)
    expect(await retryAfter(v.changePassphrase(PASS, NEW_PASS))).toBe(1_000)
    expect(await retryAfter(v.rotateDataKey(PASS))).toBe(1_000)
    now += 1_000
    await v.changePassphrase(PASS, NEW_PASS)
    const again = KeyVault.open(t.path, FAST)
    await again.unlock(NEW_PASS)
  })
})
