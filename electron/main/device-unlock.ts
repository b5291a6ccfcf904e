// Electron's safeStorage as the vault's DeviceKeyProtector. Refused on Linux's basic_text backend (a hard-coded
// password, no protection); the backend name is stored so a change invalidates device unlock (as Signal does).
import { safeStorage } from 'electron'
import type { DeviceKeyProtector } from '../engine/vault'

export function createSafeStorageProtector(platform: NodeJS.Platform = process.platform): DeviceKeyProtector {
  const backend = (): string => {
    if (platform === 'linux') return safeStorage.getSelectedStorageBackend()
    return platform === 'darwin' ? 'keychain' : platform === 'win32' ? 'dpapi' : 'unknown'
  }
  return {
    backend,
    isAvailable: () =>
      safeStorage.isEncryptionAvailable() && backend() !== 'basic_text' && backend() !== 'unknown',
    protect: (data) => safeStorage.encryptString(data.toString('base64')),
    unprotect: (data) => Buffer.from(safeStorage.decryptString(data), 'base64'),
  }
}
