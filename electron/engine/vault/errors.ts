/** The vault's errors. None of their messages ever contains a key or a passphrase. */
export class VaultError extends Error {
  override name = 'VaultError'
}
export class VaultLockedError extends VaultError {
  override name = 'VaultLockedError'
  constructor() {
    super('The key vault is locked. Unlock it with your passphrase first.')
  }
}
export class WrongPassphraseError extends VaultError {
  override name = 'WrongPassphraseError'
  constructor() {
    super('That passphrase does not open this vault.')
  }
}
export class VaultDamagedError extends VaultError {
  override name = 'VaultDamagedError'
  constructor(detail: string) {
    super(
      `The vault file is damaged or was altered (${detail}). It was left exactly as it is; restore it from a backup.`,
    )
  }
}
export class VaultThrottledError extends VaultError {
  override name = 'VaultThrottledError'
  constructor(readonly retryAfterMs: number) {
    super(`Too many wrong passphrases. Try again in ${Math.ceil(retryAfterMs / 1000)} s.`)
  }
}
export class WeakKdfError extends VaultError {
  override name = 'WeakKdfError'
}
export class VaultExistsError extends VaultError {
  override name = 'VaultExistsError'
  constructor() {
    super('A vault already exists here; unlock it instead of creating a new one.')
  }
}
export class NoKeyError extends VaultError {
  override name = 'NoKeyError'
}
export class DeviceUnlockError extends VaultError {
  override name = 'DeviceUnlockError'
}
