import { existsSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { KeyVault, WrongPassphraseError, type WriteHooks } from '../../../electron/engine/vault'
import {
  FAST,
  fakeDevice,
  filled,
  NEW_PASS,
  PASS,
  PLATFORM,
  tempVault,
  TENANT_A,
  TENANT_B,
  type TempVault,
} from './helpers'

let t: TempVault
beforeEach(() => {
  t = tempVault()
})
afterEach(() => t.cleanup())

const POINTS = ['afterTempWrite', 'beforeRename', 'afterRename'] as const
type Point = (typeof POINTS)[number]

/** A vault whose next write "crashes" at `point` (throws, leaving the disk as a crash there would). */
async function crashingVault(point: Point): Promise<{ v: KeyVault; arm: () => void }> {
  let armed = false
  const hooks: WriteHooks = {
    [point]: () => {
      if (armed) {
        armed = false
        throw new Error('simulated crash')
      }
    },
  }
  const v = KeyVault.open(t.path, { ...FAST, hooks, device: fakeDevice('gnome_libsecret').protector })
  await v.unlock(PASS)
  return { v, arm: () => (armed = true) }
}

/** After a "crash": which passphrases open the file, and what the tenant keys read. */
async function stateAfterCrash(): Promise<{
  old: boolean
  new: boolean
  keys: Record<string, string | null>
}> {
  const opens: Record<string, KeyVault | undefined> = {}
  for (const p of [PASS, NEW_PASS]) {
    const v = KeyVault.open(t.path, FAST)
    try {
      await v.unlock(p)
      opens[p] = v
    } catch (err) {
      expect(err).toBeInstanceOf(WrongPassphraseError)
    }
  }
  const v = opens[PASS] ?? opens[NEW_PASS]
  const keys: Record<string, string | null> = {}
  for (const id of ['t_a', 't_b', 't_c']) {
    try {
      keys[id] = v!.readKeyForSolve(id, 'own').key
    } catch {
      keys[id] = null
    }
  }
  return { old: !!opens[PASS], new: !!opens[NEW_PASS], keys }
}

describe('crash during a write leaves a working vault (old or new, never neither)', () => {
  for (const point of POINTS) {
    const landed = point === 'afterRename'

    it(`passphrase change, crash ${point}`, async () => {
      await filled(t.path)
      const { v, arm } = await crashingVault(point)
      arm()
      await expect(v.changePassphrase(PASS, NEW_PASS)).rejects.toThrow('simulated crash')
      const s = await stateAfterCrash()
      expect(s.old || s.new).toBe(true)
      expect(s.old).toBe(!landed)
      expect(s.new).toBe(landed)
      expect(s.keys).toEqual({ t_a: TENANT_A, t_b: TENANT_B, t_c: null })
      expect(existsSync(`${t.path}.tmp`)).toBe(false) // a reopen discarded the half-written temp file
    })

    it(`data-key rotation, crash ${point}`, async () => {
      await filled(t.path)
      const { v, arm } = await crashingVault(point)
      v.enableDeviceUnlock()
      arm()
      await expect(v.rotateDataKey(PASS)).rejects.toThrow('simulated crash')
      const s = await stateAfterCrash()
      expect(s).toEqual({ old: true, new: false, keys: { t_a: TENANT_A, t_b: TENANT_B, t_c: null } })
      // Device unlock still matches the data key in whichever file is in place.
      const d = KeyVault.open(t.path, { ...FAST, device: fakeDevice('gnome_libsecret').protector })
      await d.unlockWithDevice()
      expect(d.readKeyForSolve('t_a', 'shared').key).toBe(PLATFORM)
    })

    it(`setting a key, crash ${point}`, async () => {
      await filled(t.path)
      const { v, arm } = await crashingVault(point)
      arm()
      expect(() => v.setTenantKey('t_c', TENANT_A)).toThrow('simulated crash')
      const s = await stateAfterCrash()
      expect(s.old).toBe(true)
      expect(s.keys.t_c).toBe(landed ? TENANT_A : null)
    })
  }

  it('the in-memory vault keeps serving its last good state after a failed write', async () => {
    await filled(t.path)
    const { v, arm } = await crashingVault('beforeRename')
    arm()
    expect(() => v.removeTenantKey('t_a')).toThrow('simulated crash')
    expect(v.readKeyForSolve('t_a', 'own').key).toBe(TENANT_A)
    v.setTenantKey('t_c', TENANT_B) // the next write works and carries everything
    const s = await stateAfterCrash()
    expect(s.keys).toEqual({ t_a: TENANT_A, t_b: TENANT_B, t_c: TENANT_B })
  })
})
