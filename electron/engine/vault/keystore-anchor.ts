/**
 * The vault's rollback anchor in the OS keystore: the record, protected by the keystore (Electron safeStorage via
 * the DeviceKeyProtector seam), in a file beside the vault. An old copy of this file can be put back like the vault
 * file itself, but it cannot be forged to say less: the keystore's key is not in the data folder.
 */
import { existsSync, readFileSync } from 'node:fs'
import { writeFileAtomic } from '../files/durable-write'
import type { DeviceKeyProtector } from './device-protector'
import type { AnchorRecord, VaultAnchor } from './rollback-anchor'

/** Undefined where there is no real keystore (none, or Linux's basic_text, which protects nothing). */
export function keystoreVaultAnchor(
  vaultPath: string,
  device: DeviceKeyProtector | undefined,
): VaultAnchor | undefined {
  if (!device || !device.isAvailable() || device.backend() === 'basic_text') return undefined
  const path = `${vaultPath}.anchor`
  return {
    name: 'system keystore',
    read() {
      if (!existsSync(path)) return undefined
      const plain = device.unprotect(Buffer.from(readFileSync(path, 'utf8'), 'base64'))
      const r = JSON.parse(plain.toString('utf8')) as Partial<AnchorRecord>
      if (
        typeof r.vaultId !== 'string' ||
        !Number.isSafeInteger(r.generation) ||
        typeof r.header !== 'string'
      )
        return undefined
      return { vaultId: r.vaultId, generation: r.generation!, header: r.header }
    },
    write(r) {
      const sealed = device.protect(Buffer.from(JSON.stringify(r), 'utf8')).toString('base64')
      writeFileAtomic(path, sealed, 0o600)
    },
  }
}
