/** The solve service's KeyResolver backed by the vault: the tenant's key mode picks the key, explicitly. */
import type { Tenant } from '@shared/tenant'
import type { ProviderId } from '@shared/provider'
import type { KeyResolver } from '../solve/types'
import type { KeyVault } from './key-vault'

export function vaultKeyResolver(vault: KeyVault, provider: () => ProviderId): KeyResolver {
  return {
    resolve(tenant: Tenant) {
      const { key, fingerprint } = vault.readKeyForSolve(tenant.id, tenant.keyMode)
      return { apiKey: key, providerAccount: `${provider()}:${fingerprint}` }
    },
  }
}
