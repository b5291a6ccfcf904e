/** "Unlock with this device": the data key wrapped by the OS keystore, and what invalidates that wrap. */
import type { DeviceKeyProtector } from './device-protector'
import { DeviceUnlockError } from './errors'
import { verifyEntries } from './entries'
import { macMatches } from './file-integrity'
import { zeroOnFailure } from './vault-crypto'
import type { VaultFileV1 } from './vault-file'

/**
 * The data key from the keystore, checked against the file. `revoke` is called when the backend changed (the wrap
 * is worthless for good; the stale record is removed from the file at the next passphrase unlock).
 */
export function unwrapWithDevice(
  file: VaultFileV1,
  device: DeviceKeyProtector | undefined,
  revoked: boolean,
  revoke: () => void,
): Buffer {
  const du = file.deviceUnlock
  if (!du) throw new DeviceUnlockError('Device unlock is not enabled for this vault.')
  if (revoked)
    throw new DeviceUnlockError(
      'Device unlock was turned off because the system keystore changed. Unlock with the passphrase.',
    )
  if (!device || !device.isAvailable())
    throw new DeviceUnlockError('The system keystore is not available; unlock with the passphrase.')
  if (device.backend() !== du.backend) {
    revoke()
    throw new DeviceUnlockError(
      'The system keystore changed since device unlock was enabled, so device unlock was turned off. Unlock with the passphrase.',
    )
  }
  let dek: Buffer
  try {
    dek = device.unprotect(Buffer.from(du.wrappedDek, 'base64'))
  } catch {
    throw new DeviceUnlockError('The system keystore could not open the vault; unlock with the passphrase.')
  }
  if (dek.length !== 32) {
    dek.fill(0)
    throw new DeviceUnlockError('The system keystore could not open the vault; unlock with the passphrase.')
  }
  if (!macMatches(file, dek)) {
    dek.fill(0)
    throw new DeviceUnlockError(
      'The system keystore gave a key that does not open this vault; unlock with the passphrase.',
    )
  }
  zeroOnFailure(dek, () => verifyEntries(file, dek))
  return dek
}

/** Whether the file's device record is worthless (revoked, or the keystore backend changed since it was made). */
export function deviceWrapStale(
  file: VaultFileV1,
  device: DeviceKeyProtector | undefined,
  revoked: boolean,
): boolean {
  const du = file.deviceUnlock
  return du != null && (revoked || (device?.isAvailable() === true && device.backend() !== du.backend))
}

/** The device record for a data key. Refused on Linux's basic_text backend (no protection). */
export function wrapForDevice(
  device: DeviceKeyProtector | undefined,
  dek: Buffer,
): VaultFileV1['deviceUnlock'] {
  if (device && device.backend() === 'basic_text') {
    throw new DeviceUnlockError(
      'This Linux session has no secret store (basic_text backend); device unlock would not protect anything, so it is refused.',
    )
  }
  if (!device || !device.isAvailable())
    throw new DeviceUnlockError('No system keystore is available on this machine.')
  const backend = device.backend()
  try {
    return { backend, wrappedDek: device.protect(dek).toString('base64') }
  } catch {
    throw new DeviceUnlockError('The system keystore refused to store the key.')
  }
}

/** After a data-key rotation: a new device record if the keystore is still the same, else none. */
export function rewrapForDevice(
  file: VaultFileV1,
  device: DeviceKeyProtector | undefined,
  revoked: boolean,
  newDek: Buffer,
): VaultFileV1['deviceUnlock'] {
  const du = file.deviceUnlock
  if (!du || revoked || !device || !device.isAvailable() || device.backend() !== du.backend) return null
  if (du.backend === 'basic_text') return null
  try {
    return { backend: du.backend, wrappedDek: device.protect(newDek).toString('base64') }
  } catch {
    return null
  }
}
