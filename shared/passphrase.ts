/** The one passphrase rule: the engine enforces it, the contract validates it, the console explains it. */
export const PASSPHRASE_MIN_LENGTH = 10
export const PASSPHRASE_MAX_LENGTH = 1024

/** Why a new passphrase is not acceptable, in a sentence for people; undefined when it is fine. */
export function newPassphraseProblem(p: unknown): string | undefined {
  if (typeof p !== 'string' || p.length < PASSPHRASE_MIN_LENGTH)
    return `The passphrase must be at least ${PASSPHRASE_MIN_LENGTH} characters long.`
  if (p.length > PASSPHRASE_MAX_LENGTH)
    return `The passphrase is longer than ${PASSPHRASE_MAX_LENGTH} characters.`
  return undefined
}

/** A rough passphrase strength for the console: length matters most, then variety. 0..4. */
export function passphraseStrength(p: string): { score: number; label: string } {
  let score = 0
  if (p.length >= PASSPHRASE_MIN_LENGTH) score++
  if (p.length >= 16) score++
  if (/[a-z]/.test(p) && /[A-Z]/.test(p)) score++
  if (/\d/.test(p) || /[^A-Za-z0-9]/.test(p)) score++
  if (p.length < PASSPHRASE_MIN_LENGTH) score = Math.min(score, 1)
  return { score, label: ['too short', 'weak', 'fair', 'good', 'strong'][score]! }
}
