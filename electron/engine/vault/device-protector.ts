/**
 * "Unlock with this device": the data key is additionally wrapped by the OS keystore (Electron safeStorage in the
 * app). The engine sees only this interface, so it stays Electron-free.
 */
export interface DeviceKeyProtector {
  /** e.g. 'gnome_libsecret', 'kwallet5', 'keychain', 'dpapi', or 'basic_text' (which is no protection at all). */
  backend(): string
  isAvailable(): boolean
  protect(data: Buffer): Buffer
  unprotect(data: Buffer): Buffer
}
