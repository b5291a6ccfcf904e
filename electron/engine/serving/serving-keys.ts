/**
 * Console lock ≠ serving stops. Locking the console (by hand, idle or on suspend) protects the operator's screens
 * and admin actions; while the gateway serves, the upstream keys its solves need stay in this process so tenants
 * are not cut off. Only an explicit "stop serving" (or quitting) seals them. The copy is taken from the unlocked
 * vault when serving starts and refreshed after every vault change, so it never holds a key the vault no longer has.
 *
 * What this trades (README, threat model): while serving, the keys live in the main process's memory even when
 * the console is locked — someone who can read that process's memory (or run code as the operator) can read them,
 * exactly as while the console is open. The vault file at rest, the console's screens and every admin action stay
 * locked.
 */
import type { Tenant } from '@shared/tenant'
import type { KeyResolver } from '../solve/types'
import type { KeyVault } from '../vault'

interface HeldKey {
  key: string
  fingerprint: string
}

export class ServingKeys {
  private held: Map<string, HeldKey> | undefined

  constructor(
    private readonly vault: KeyVault,
    private readonly providerId: () => string,
  ) {
    vault.onChange(() => {
      if (this.held && vault.isUnlocked()) this.load()
    })
  }

  /** Whether keys are held for serving (they stay when the console locks). */
  get active(): boolean {
    return this.held !== undefined
  }

  /** Takes the keys from the unlocked vault; throws if it is locked. */
  hold(): void {
    if (!this.vault.isUnlocked()) throw new Error('The vault is locked: unlock it once to start serving.')
    this.load()
  }

  /** Forgets every held key (stop serving, quit). */
  seal(): void {
    this.held?.clear()
    this.held = undefined
  }

  has(scope: 'platform' | { tenantId: string }): boolean {
    if (this.held) return this.held.has(scope === 'platform' ? 'platform' : `tenant:${scope.tenantId}`)
    return this.vault.isUnlocked() && this.vault.hasKey(scope)
  }

  /** The solve path's key source: the held keys while serving, the vault otherwise. */
  resolver(): KeyResolver {
    return {
      resolve: (tenant: Tenant) => {
        const { key, fingerprint } = this.read(tenant.id, tenant.keyMode)
        return { apiKey: key, providerAccount: `${this.providerId()}:${fingerprint}` }
      },
    }
  }

  /**
   * One key by tenant and mode, from the held copy while serving (refreshed on every vault change, so it is what the
   * vault holds; no decryption per solve, and tenants' traffic does not keep the console's idle lock awake), else
   * from the (unlocked) vault.
   */
  read(tenantId: string, keyMode: 'own' | 'shared'): HeldKey {
    if (!this.held) return this.vault.readKeyForSolve(tenantId, keyMode)
    const k = this.held.get(keyMode === 'own' ? `tenant:${tenantId}` : 'platform')
    if (!k)
      throw new Error(
        keyMode === 'own'
          ? 'This tenant uses its own upstream key, and none is set. Set it in the tenant’s key settings.'
          : 'No platform key is set. Add one in Settings.',
      )
    return k
  }

  /** The platform key (shared mode): balance checks, the Sandbox's thread count. */
  readPlatform(): HeldKey {
    if (!this.held) return this.vault.readPlatformKey()
    return this.read('', 'shared')
  }

  private load(): void {
    const next = new Map<string, HeldKey>()
    for (const info of this.vault.describe()) {
      if (info.scope === 'platform') next.set('platform', this.vault.readPlatformKey({ touch: false }))
      else if (info.tenantId !== null)
        next.set(
          `tenant:${info.tenantId}`,
          this.vault.readKeyForSolve(info.tenantId, 'own', { touch: false }),
        )
    }
    this.held?.clear()
    this.held = next
  }
}
