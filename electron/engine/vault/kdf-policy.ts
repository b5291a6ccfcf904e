/**
 * The vault's key-derivation policy: the scrypt cost it writes with and the weakest it accepts on read (anything
 * weaker in a file is a possible downgrade attack). Only tests may go below the app's minimum.
 */
import { WeakKdfError } from './errors'
import { MINIMUM_KDF, RECOMMENDED_KDF, randomBase64, type KdfCost, type ScryptParams } from './vault-crypto'
import type { VaultFileV1 } from './vault-file'

/** The floor when a test switches the minimum off: scrypt's own limits. */
const TEST_FLOOR_KDF: KdfCost = { N: 2, r: 1, p: 1 }

export interface KdfPolicyOptions {
  kdf?: KdfCost
  minimumKdf?: KdfCost
  allowWeakKdfForTests?: boolean
}

function belowMinimum(k: KdfCost, min: KdfCost): boolean {
  return k.N < min.N || k.r < min.r || k.p < min.p
}

export class KdfPolicy {
  /** Files asking for less are refused on read. */
  readonly minimum: KdfCost
  /** The cost of new vaults, passphrase changes and rotations. */
  readonly cost: KdfCost

  constructor(options: KdfPolicyOptions) {
    const weakOk = options.allowWeakKdfForTests === true
    // Tests may lower the floor; an explicitly configured minimum is enforced on read either way.
    this.minimum = options.minimumKdf ?? (weakOk ? TEST_FLOOR_KDF : MINIMUM_KDF)
    this.cost = options.kdf ?? RECOMMENDED_KDF
    if (!weakOk && belowMinimum(this.minimum, MINIMUM_KDF))
      throw new WeakKdfError('The configured minimum key-derivation cost is below what this app accepts.')
    if (belowMinimum(this.cost, this.minimum) || (!weakOk && belowMinimum(this.cost, MINIMUM_KDF)))
      throw new WeakKdfError('The configured key-derivation cost is below the minimum.')
  }

  /** The file as read, unless its header asks for a weaker key derivation than the minimum. */
  checkedHeader(file: VaultFileV1): VaultFileV1 {
    if (belowMinimum(file.kdf, this.minimum)) {
      throw new WeakKdfError(
        'The vault file asks for a weaker key derivation than this app accepts (possible downgrade attack). It was not opened.',
      )
    }
    return file
  }

  /** Fresh scrypt parameters (new salt) at the configured cost. */
  freshParams(): ScryptParams {
    return { name: 'scrypt', ...this.cost, salt: randomBase64(16) }
  }
}
