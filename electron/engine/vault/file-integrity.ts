/** The glue between the vault file and its crypto: the whole-file HMAC, full verification, and stamped writes. */
import { VaultDamagedError } from './errors'
import { verifyEntries } from './entries'
import { generationOf } from './rollback-anchor'
import { mac, MAC_KEY_INFO, sameMac, withSubkey } from './vault-crypto'
import { macInput, writeVaultFileAtomic, type VaultFileV1, type WriteHooks } from './vault-file'

export function macMatches(file: VaultFileV1, dek: Buffer): boolean {
  const expected = withSubkey(dek, file.vaultId, MAC_KEY_INFO, (k) => mac(k, macInput(file)))
  return sameMac(expected, file.mac)
}

/** Checks the file's HMAC and that every entry opens where it sits. Does not zero `dek`. */
export function verifyWhole(file: VaultFileV1, dek: Buffer): void {
  if (!macMatches(file, dek)) throw new VaultDamagedError('its integrity check failed')
  verifyEntries(file, dek)
}

/** Writes the next version of the file: one generation up, new time stamp, HMAC; returns what was written. */
export function writeStamped(
  path: string,
  next: VaultFileV1,
  dek: Buffer,
  at: string,
  hooks: WriteHooks | undefined,
): VaultFileV1 {
  const stamped: VaultFileV1 = { ...next, generation: generationOf(next) + 1, updatedAt: at, mac: '' }
  stamped.mac = withSubkey(dek, stamped.vaultId, MAC_KEY_INFO, (k) => mac(k, macInput(stamped)))
  writeVaultFileAtomic(path, stamped, hooks)
  return stamped
}
