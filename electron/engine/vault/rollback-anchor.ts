/**
 * Rollback protection: the vault file carries a generation counter (inside its HMAC) that every write raises, and
 * the last generation written is also kept OUTSIDE the file — in the engine database and, where the OS has a
 * keystore, in a keystore-protected file — with a fingerprint of the file's header (vault id, key-derivation
 * parameters and salt). So:
 * - an older but valid copy of vault.json (which would bring back removed keys and old passphrases) is refused;
 * - a header edited with a recomputed checksum is told apart from a wrong passphrase: it is damage, and does not
 *   count toward the unlock throttle.
 * With no anchor yet (first run, or a vault from before this), the first unlock records one (trust on first use).
 */
import { VaultDamagedError, VaultError } from './errors'
import { canonical, sha256Hex } from './vault-crypto'
import type { VaultFileV1 } from './vault-file'

export interface AnchorRecord {
  vaultId: string
  generation: number
  /** sha256 of the header fields a passphrase unlock depends on. */
  header: string
}

/** One place outside vault.json that remembers the last generation written. */
export interface VaultAnchor {
  readonly name: string
  read(): AnchorRecord | undefined
  write(record: AnchorRecord): void
}

export class VaultRollbackError extends VaultError {
  override name = 'VaultRollbackError'
  constructor(
    readonly fileGeneration: number,
    readonly anchoredGeneration: number,
  ) {
    super(
      `This vault file is older than the one CaptchaDesk last wrote (version ${fileGeneration}, expected ${anchoredGeneration} or later): it may have been replaced by an old copy, which would bring back removed keys and old passphrases. It was not opened; put the newest vault.json back — or, if you restored this copy from a backup on purpose, choose “Open this older copy” when you unlock it in the console (keys and passphrase go back to what they were in it).`,
    )
  }
}

export const generationOf = (file: VaultFileV1): number => file.generation ?? 0

const headerFingerprint = (file: Pick<VaultFileV1, 'vaultId' | 'kdf'>): string =>
  sha256Hex(canonical({ vaultId: file.vaultId, kdf: file.kdf }))

const anchorRecordOf = (file: VaultFileV1): AnchorRecord => ({
  vaultId: file.vaultId,
  generation: generationOf(file),
  header: headerFingerprint(file),
})

/** The anchors together: the newest record any of them holds is the reference. */
export class AnchorSet {
  constructor(private readonly anchors: readonly VaultAnchor[]) {}

  private newest(): AnchorRecord | undefined {
    let best: AnchorRecord | undefined
    for (const a of this.anchors) {
      let r: AnchorRecord | undefined
      try {
        r = a.read()
      } catch {
        r = undefined // an unreadable anchor is no evidence either way
      }
      if (r && (!best || r.generation > best.generation)) best = r
    }
    return best
  }

  /**
   * True when an anchor exists and the file's header is not the one it recorded (id, KDF or salt edited). An older
   * copy of the same vault (a restored backup) may predate a passphrase change, so its header differs by right: that
   * is not damage, and a wrong passphrase on it counts toward the throttle like any other. (The generation read here
   * is not verified yet; claiming an older one only makes guesses count.)
   */
  headerChanged(file: VaultFileV1): boolean {
    const r = this.newest()
    if (r === undefined) return false
    if (r.vaultId === file.vaultId && generationOf(file) < r.generation) return false
    return r.vaultId !== file.vaultId || r.header !== headerFingerprint(file)
  }

  /** After the file's HMAC verified: refuses a file older than the newest anchor. */
  checkFresh(file: VaultFileV1): void {
    const r = this.newest()
    if (!r) return
    if (r.vaultId !== file.vaultId)
      throw new VaultDamagedError('it is not the vault this app last used (its vault id changed)')
    if (generationOf(file) < r.generation) throw new VaultRollbackError(generationOf(file), r.generation)
  }

  /** Records the file as the newest (after each write, and on unlock when an anchor is missing or behind). */
  record(file: VaultFileV1): void {
    const rec = anchorRecordOf(file)
    for (const a of this.anchors) {
      try {
        const cur = a.read()
        if (
          cur &&
          cur.vaultId === rec.vaultId &&
          cur.generation === rec.generation &&
          cur.header === rec.header
        )
          continue
        a.write(rec)
      } catch {
        // Best effort: the vault file is already written; the other anchor (if any) still holds.
      }
    }
  }
}
