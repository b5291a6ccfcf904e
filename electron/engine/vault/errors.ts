/** The vault's errors. None of their messages ever contains a key or a passphrase. */
export class VaultError extends Error {
  override name = 'VaultError'
}

/** The base of a vault error whose every instance says the same thing. */
function withFixedMessage(name: string, message: string) {
  return class extends VaultError {
    override name = name
    constructor() {
      super(message)
    }
  }
}

export class VaultLockedError extends withFixedMessage(
  'VaultLockedError',
  'The key vault is locked. Unlock it with your passphrase first.',
) {}
export class WrongPassphraseError extends withFixedMessage(
  'WrongPassphraseError',
  'That passphrase does not open this vault.',
) {}
export class VaultExistsError extends withFixedMessage(
  'VaultExistsError',
  'A vault already exists here; unlock it instead of creating a new one.',
) {}
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
export class NoKeyError extends VaultError {
  override name = 'NoKeyError'
}
export class DeviceUnlockError extends VaultError {
  override name = 'DeviceUnlockError'
}
