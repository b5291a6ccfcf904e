// Electron's safeStorage as the vault's DeviceKeyProtector (the engine only sees the interface). Refused on Linux's
// basic_text backend (a hard-coded password, no protection) and before `ready` ('unknown'); the vault stores the
// backend name, so a change of backend invalidates device unlock (as Signal does).
// safeStorage takes strings only, so the data key passes through a base64 string here; it is the one place the
// key exists in a form that cannot be zeroed.
import { safeStorage } from 'electron'
import type { DeviceKeyProtector } from '../engine/vault'

export function createSafeStorageProtector(platform: NodeJS.Platform = process.platform): DeviceKeyProtector {
  const backend = (): string => {
    if (platform === 'linux') {
      try {
        return safeStorage.getSelectedStorageBackend()
      } catch {
        return 'unknown'
      }
    }
    return platform === 'darwin' ? 'keychain' : platform === 'win32' ? 'dpapi' : 'unknown'
  }
  const isAvailable = (): boolean => {
    const b = backend()
    if (b === 'basic_text' || b === 'unknown') return false
    try {
      return safeStorage.isEncryptionAvailable()
    } catch {
      return false
    }
  }
  return {
    backend,
    isAvailable,
    protect: (data) => safeStorage.encryptString(data.toString('base64')),
    unprotect: (data) => Buffer.from(safeStorage.decryptString(data), 'base64'),
  }
}
