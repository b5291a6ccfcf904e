/**
 * Passphrase unlock and its throttle. Wrong passphrases are counted beside the vault (so the growing delays survive
 * a restart: none for the first two misses, then 1 s, 2 s, 4 s … up to a minute); the vault file itself is never
 * written because of a failure. A header that differs from the anchored one is damage, never a miss.
 */
import { PASSPHRASE_MAX_LENGTH } from '@shared/passphrase'
import { VaultDamagedError, VaultThrottledError, WrongPassphraseError } from './errors'
import { verifyWhole } from './file-integrity'
import { deriveKek, open, wrapAad, zeroOnFailure } from './vault-crypto'
import type { VaultFileV1 } from './vault-file'

const MAX_DELAY_MS = 60_000

/** The throttle's view of the state kept beside the vault. */
export interface ThrottleState {
  readonly failures: number
  readonly blockedUntil: number
  save(patch: { failures: number; blockedUntil: number }): void
}

function miss(state: ThrottleState, now: number): WrongPassphraseError {
  const failures = state.failures + 1
  const blockedUntil =
    failures >= 3 ? now + Math.min(MAX_DELAY_MS, 1_000 * 2 ** Math.min(failures - 3, 16)) : 0
  try {
    state.save({ failures, blockedUntil })
  } catch {
    // the delay still holds in memory for this process
  }
  return new WrongPassphraseError()
}

/**
 * Derives the KEK, unwraps the data key and verifies the whole file with it. Throws VaultThrottledError,
 * WrongPassphraseError (counted) or VaultDamagedError (not counted).
 */
export async function unwrapWithPassphrase(
  file: VaultFileV1,
  passphrase: unknown,
  deps: { state: ThrottleState; now: () => number; headerChanged: (file: VaultFileV1) => boolean },
): Promise<Buffer> {
  const wait = deps.state.blockedUntil - deps.now()
  if (wait > 0) throw new VaultThrottledError(wait)
  if (typeof passphrase !== 'string' || passphrase.length === 0 || passphrase.length > PASSPHRASE_MAX_LENGTH)
    throw miss(deps.state, deps.now())
  let kek: Buffer
  try {
    kek = await deriveKek(passphrase, file.kdf)
  } catch {
    throw new VaultDamagedError('its key derivation failed')
  }
  let dek: Buffer
  try {
    dek = open(kek, file.wrappedDek, wrapAad(file))
  } catch {
    if (deps.headerChanged(file))
      throw new VaultDamagedError(
        'its header — vault id, key-derivation settings or salt — is not the one this app last wrote',
      )
    throw miss(deps.state, deps.now())
  } finally {
    kek.fill(0)
  }
  if (dek.length !== 32) {
    dek.fill(0)
    throw new VaultDamagedError('the data key has the wrong length')
  }
  if (deps.state.failures > 0 || deps.state.blockedUntil > 0)
    deps.state.save({ failures: 0, blockedUntil: 0 })
  zeroOnFailure(dek, () => verifyWhole(file, dek))
  return dek
}
