import { afterEach, describe, expect, it } from 'vitest'
import { ServingKeys } from '../../../electron/engine/serving/serving-keys'
import { filled, PASS, PLATFORM, TENANT_A, tempVault, type TempVault } from '../vault/helpers'

let t: TempVault
afterEach(() => t?.cleanup())

describe('serving keys', () => {
  it('while serving, solves read the held keys: tenant traffic does not keep the console from idling out', async () => {
    t = tempVault()
    let now = 0
    const vault = await filled(t.path, { now: () => now, idleLockMs: 60_000 })
    const keys = new ServingKeys(vault, () => 'sandbox')
    keys.hold()
    const resolver = keys.resolver()
    for (let s = 1; s <= 70; s++) {
      now = s * 1_000 // a solve every second for 70 s, no operator activity
      expect(resolver.resolve({ id: 't_a', keyMode: 'own' } as never).apiKey).toBe(TENANT_A)
    }
    vault.checkIdle()
    expect(vault.isUnlocked()).toBe(false) // the console locked on time…
    expect(keys.read('x', 'shared').key).toBe(PLATFORM) // …and serving goes on
    expect(keys.readPlatform().key).toBe(PLATFORM)
  })

  it('a key changed in the vault is what the next solve uses; seal forgets them all', async () => {
    t = tempVault()
    const vault = await filled(t.path)
    const keys = new ServingKeys(vault, () => 'sandbox')
    keys.hold()
    const replaced = 'ZZZZyyyyXXXXwwwwVVVVuuuuTTTTsss9'
    vault.setTenantKey('t_a', replaced)
    expect(keys.read('t_a', 'own').key).toBe(replaced)
    vault.lock('operator')
    keys.seal()
    expect(() => keys.read('t_a', 'own')).toThrow()
    await vault.unlock(PASS)
    expect(keys.read('t_a', 'own').key).toBe(replaced) // not serving: straight from the unlocked vault
  })
})
