import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  KeyVault,
  VaultDamagedError,
  VaultThrottledError,
  WeakKdfError,
  WrongPassphraseError,
  type VaultOptions,
} from '../../../electron/engine/vault'
import { parseVaultFile, serializeVaultFile } from '../../../electron/engine/vault/vault-file'
import {
  caught,
  FAST,
  filled,
  findLeaks,
  PASS,
  readFile,
  tempVault,
  writeWithChecksum,
  writeWithForgedMac,
  type TempVault,
  createVault,
} from './helpers'

let t: TempVault
beforeEach(() => {
  t = tempVault()
})
afterEach(() => t.cleanup())

/** The cheapest scrypt there is: these tests run thousands of unlocks. */
const CHEAP: VaultOptions = { kdf: { N: 2 ** 4, r: 8, p: 1 }, allowWeakKdfForTests: true }

/** Opens, unlocks and reads every entry; returns the error, or undefined if all of that worked. */
async function tryUse(path: string): Promise<unknown> {
  rmSync(`${path}.throttle`, { force: true }) // each try really attempts the unlock
  try {
    const v = KeyVault.open(path, CHEAP)
    await v.unlock(PASS)
    v.describe()
    v.readKeyForSolve('t_a', 'own')
    return undefined
  } catch (err) {
    return err
  }
}

describe('vault integrity', () => {
  it('flipping any bit of any byte is reported as damage before a passphrase is tried, and the file is left as it was', async () => {
    await filled(t.path, CHEAP)
    const original = readFileSync(t.path)
    for (let i = 0; i < original.length; i++) {
      for (const bit of [0x01, 1 << (i % 8)]) {
        const copy = Buffer.from(original)
        copy[i] = copy[i]! ^ bit
        writeFileSync(t.path, copy)
        const err = await caught(() => KeyVault.open(t.path, CHEAP))
        expect(err, `byte ${i}`).toBeInstanceOf(VaultDamagedError)
        expect((err as Error).message).toMatch(/vault file is damaged/)
        expect(readFileSync(t.path).equals(copy)).toBe(true)
      }
    }
    expect(existsSync(`${t.path}.throttle`)).toBe(false) // damage never counts as a wrong passphrase
  }, 60_000)

  it('a deliberate edit with a recomputed checksum is still detected at unlock (any byte, any value)', async () => {
    await filled(t.path, CHEAP)
    const text = readFileSync(t.path, 'utf8')
    const body = JSON.stringify((({ checksum: _c, ...rest }) => rest)(JSON.parse(text)))
    let undetected = 0
    const tried = new Set<string>()
    const check = async (i: number, value: number): Promise<void> => {
      const bytes = Buffer.from(body, 'utf8')
      if (bytes[i] === value) return
      bytes[i] = value
      const edited = bytes.toString('latin1')
      if (tried.has(edited)) return
      tried.add(edited)
      let parsed: unknown
      try {
        parsed = JSON.parse(edited)
      } catch {
        writeFileSync(t.path, edited) // not JSON any more: must be damage
        expect(await tryUse(t.path)).toBeInstanceOf(VaultDamagedError)
        return
      }
      writeFileSync(t.path, serializeVaultFile(parsed as never))
      const err = await tryUse(t.path)
      if (err === undefined) undetected++
      else {
        expect(err).not.toBeInstanceOf(VaultThrottledError)
        expect(findLeaks(String((err as Error).message))).toEqual([])
      }
    }
    // Every position with a one-bit change, then random values at random positions.
    for (let i = 0; i < body.length; i++) await check(i, body.charCodeAt(i) ^ 0x01)
    await fc.assert(
      fc.asyncProperty(fc.nat(body.length - 1), fc.integer({ min: 0x20, max: 0x7e }), async (i, value) => {
        await check(i, value)
      }),
      { numRuns: 300 },
    )
    expect(undetected).toBe(0)
  }, 120_000)

  it('removing, reordering or duplicating entries is detected even with a recomputed checksum', async () => {
    await filled(t.path, CHEAP)
    const f = readFile(t.path)
    for (const entries of [f.entries.slice(1), [...f.entries].reverse(), [...f.entries, f.entries[0]!], []]) {
      writeWithChecksum(t.path, { ...f, entries })
      expect(await tryUse(t.path)).toBeInstanceOf(VaultDamagedError)
    }
    writeWithChecksum(t.path, { ...f, createdAt: '2020-01-01T00:00:00.000Z' })
    expect(await tryUse(t.path)).toBeInstanceOf(VaultDamagedError)
    writeWithChecksum(t.path, f)
    expect(await tryUse(t.path)).toBeUndefined()
  })

  it('a ciphertext moved to another tenant fails, even if the whole-file HMAC were forged', async () => {
    await filled(t.path, CHEAP)
    const f = readFile(t.path)
    const a = f.entries.find((e) => e.scope === 'tenant:t_a')!
    const b = f.entries.find((e) => e.scope === 'tenant:t_b')!
    const swapped = f.entries.map((e) =>
      e === a ? { ...a, sealed: b.sealed } : e === b ? { ...b, sealed: a.sealed } : e,
    )
    writeWithChecksum(t.path, { ...f, entries: swapped })
    expect(await tryUse(t.path)).toBeInstanceOf(VaultDamagedError)
    // With the HMAC recomputed by someone holding the data key, the AAD binding alone still refuses the move.
    await writeWithForgedMac(t.path, { ...f, entries: swapped })
    const err = await tryUse(t.path)
    expect(err).toBeInstanceOf(VaultDamagedError)
    expect((err as Error).message).toMatch(/does not open where it is/)
    // Moving one tenant's entry (with its id) into another tenant's slot, or to the platform slot, fails too.
    for (const scope of ['tenant:t_b', 'platform']) {
      const moved = f.entries.filter((e) => e.scope !== scope).map((e) => (e === a ? { ...a, scope } : e))
      await writeWithForgedMac(t.path, { ...f, entries: moved })
      expect(await tryUse(t.path)).toBeInstanceOf(VaultDamagedError)
    }
    // Control: the forging helper itself produces a file that opens when nothing was moved.
    await writeWithForgedMac(t.path, f)
    expect(await tryUse(t.path)).toBeUndefined()
  })

  it('refuses a downgraded KDF header with a clear error and leaves the file alone', async () => {
    await createVault(t.path, PASS, FAST)
    const weak = readFileSync(t.path)
    const err = await caught(() => KeyVault.open(t.path))
    expect(err).toBeInstanceOf(WeakKdfError)
    expect((err as Error).message).toMatch(/downgrade/)
    expect(readFileSync(t.path).equals(weak)).toBe(true)
    // A configured minimum applies on read, test option or not for the configured cost.
    expect(() =>
      KeyVault.open(t.path, { minimumKdf: { N: 2 ** 11, r: 8, p: 1 }, kdf: { N: 2 ** 11, r: 8, p: 1 } }),
    ).toThrow(WeakKdfError)
    // An explicit minimum holds on read even with the test-only switch on.
    const m = { N: 2 ** 11, r: 8, p: 1 }
    expect(() => KeyVault.open(t.path, { kdf: m, minimumKdf: m, allowWeakKdfForTests: true })).toThrow(
      /downgrade/,
    )
    // Production code cannot lower the minimum.
    expect(() => KeyVault.open(t.path, { minimumKdf: { N: 2 ** 10, r: 8, p: 1 } })).toThrow(WeakKdfError)
    // Without the test-only switch, a weak configured cost is refused outright.
    expect(() => KeyVault.open(`${t.path}.2`, { kdf: { N: 2 ** 14, r: 8, p: 1 } })).toThrow(WeakKdfError)
  })

  it('editing the KDF parameters (checksum recomputed) breaks the unwrap, since they are bound into it (no outside anchor: it cannot be told from a wrong passphrase; with one it is damage, see header-and-rollback.test.ts)', async () => {
    await filled(t.path, CHEAP)
    const f = readFile(t.path)
    for (const kdf of [
      { ...f.kdf, N: 2 ** 5 },
      { ...f.kdf, r: 9 },
      { ...f.kdf, salt: Buffer.alloc(16, 1).toString('base64') },
    ]) {
      writeWithChecksum(t.path, { ...f, kdf })
      expect(await tryUse(t.path)).toBeInstanceOf(WrongPassphraseError)
    }
    writeWithChecksum(t.path, { ...f, vaultId: 'f'.repeat(32) })
    expect(await tryUse(t.path)).toBeInstanceOf(WrongPassphraseError)
  })

  it('refuses absurd KDF costs as damage instead of allocating gigabytes', async () => {
    await filled(t.path, CHEAP)
    const f = readFile(t.path)
    for (const kdf of [
      { ...f.kdf, N: 2 ** 24 },
      { ...f.kdf, r: 4096 },
      { ...f.kdf, p: 64 },
      { ...f.kdf, N: 1000 },
      { ...f.kdf, N: 0 },
      { ...f.kdf, salt: 'c2hvcnQ=' },
    ]) {
      writeWithChecksum(t.path, { ...f, kdf })
      expect(() => KeyVault.open(t.path, CHEAP)).toThrow(VaultDamagedError)
    }
  })

  it('damaged files (cut short, empty, not a vault, unreadable) give a clear error and are never reset', async () => {
    await filled(t.path, CHEAP)
    const good = readFileSync(t.path, 'utf8')
    for (const text of [
      good.slice(0, good.length / 2),
      '',
      '{}',
      '[]',
      'null',
      `${good}\n`,
      JSON.stringify({ ...JSON.parse(good), version: 2 }),
    ]) {
      writeFileSync(t.path, text)
      const v = await caught(() => KeyVault.open(t.path, CHEAP))
      expect(v).toBeInstanceOf(VaultDamagedError)
      expect(readFileSync(t.path, 'utf8')).toBe(text)
    }
    expect(() => parseVaultFile(good)).not.toThrow()
  })

  it('a damaged entry is reported as damage after a correct unlock, and nothing is rewritten', async () => {
    await filled(t.path, CHEAP)
    const f = readFile(t.path)
    const e = f.entries[1]!
    const ct = Buffer.from(e.sealed.ct, 'base64')
    ct[0] = ct[0]! ^ 1
    await writeWithForgedMac(t.path, {
      ...f,
      entries: f.entries.map((x) =>
        x === e ? { ...e, sealed: { ...e.sealed, ct: ct.toString('base64') } } : x,
      ),
    })
    const before = readFileSync(t.path)
    const v = KeyVault.open(t.path, CHEAP)
    await expect(v.unlock(PASS)).rejects.toThrow(VaultDamagedError)
    expect(v.isUnlocked()).toBe(false)
    expect(readFileSync(t.path).equals(before)).toBe(true)
    expect(existsSync(`${t.path}.throttle`)).toBe(false)
  })
})
