/** Small seeded PRNG (mulberry32): the Sandbox never uses Math.random, so every run with a seed is repeatable. */
export interface Prng {
  next(): number
  between(min: number, max: number): number
  chance(probability: number): boolean
  token(length: number, alphabet?: string): string
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

export function createPrng(seed: number): Prng {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    between: (min, max) => min + (max - min) * next(),
    chance: (p) => p > 0 && next() < p,
    // Joined, not built with +=: a string grown a character at a time is a chain of hundreds of pieces in V8 (a
    // kept answer took ~10 KB of heap instead of ~1).
    token: (length, alphabet = BASE64URL) => {
      const chars = new Array<string>(length)
      for (let i = 0; i < length; i++) chars[i] = alphabet[Math.floor(next() * alphabet.length)]!
      return chars.join('')
    },
  }
}
