/**
 * The data key's passphrase wrap (scrypt KEK, AES-256-GCM bound to the vault id and KDF parameters) and the first
 * file of a new vault. Changing the passphrase re-wraps the same data key; rotating it re-seals every entry too.
 */
import { deriveKek, seal, wrapAad, type ScryptParams } from './vault-crypto'
import type { VaultFileV1 } from './vault-file'

export type DataKeyWrap = Pick<VaultFileV1, 'kdf' | 'wrappedDek'>

/** The data key wrapped under the passphrase with these (fresh) parameters; the KEK is zeroed. */
export async function wrapDataKey(
  passphrase: string,
  kdf: ScryptParams,
  dek: Buffer,
  vaultId: string,
): Promise<DataKeyWrap> {
  const kek = await deriveKek(passphrase, kdf)
  try {
    return { kdf, wrappedDek: seal(kek, dek, wrapAad({ vaultId, kdf })) }
  } finally {
    kek.fill(0)
  }
}

/** A new vault's file before its first write: no entries, no device unlock, generation 0. */
export function firstVaultFile(vaultId: string, wrap: DataKeyWrap, at: string): VaultFileV1 {
  return {
    format: 'captchadesk-vault',
    version: 1,
    vaultId,
    ...wrap,
    deviceUnlock: null,
    entries: [],
    createdAt: at,
    updatedAt: at,
    generation: 0,
    mac: '',
  }
}
