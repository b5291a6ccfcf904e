/** Node built-in crypto only (Electron's BoringSSL has no Argon2; scrypt and AES-256-GCM exist in both). */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  scrypt,
  timingSafeEqual,
} from 'node:crypto'

export interface ScryptParams {
  name: 'scrypt'
  N: number
  r: number
  p: number
  salt: string
}

export interface Sealed {
  v: 1
  alg: 'A256GCM'
  iv: string
  ct: string
  tag: string
}

export interface KdfCost {
  N: number
  r: number
  p: number
}

/** OWASP's scrypt parameters for when Argon2id is not available. */
export const RECOMMENDED_KDF: KdfCost = { N: 2 ** 17, r: 8, p: 1 }
/** Files asking for less are refused on read (anti-downgrade). */
export const MINIMUM_KDF: KdfCost = { N: 2 ** 15, r: 8, p: 1 }
/** Files asking for more memory than this are treated as damaged (no header may make us allocate gigabytes). */
export const MAX_KDF_MEMORY = 1024 * 1024 * 1024

export const scryptMemory = (k: KdfCost): number => 128 * k.N * k.r

export function deriveKek(passphrase: string, kdf: ScryptParams): Promise<Buffer> {
  const salt = Buffer.from(kdf.salt, 'base64')
  const maxmem = scryptMemory(kdf) + 128 * kdf.r * kdf.p + 16 * 1024 * 1024
  return new Promise((resolve, reject) =>
    scrypt(passphrase.normalize('NFKC'), salt, 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  )
}

/** Canonical JSON: keys sorted at every level, so the same value always authenticates the same way. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(value)
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/

function strictBase64(s: unknown, what: string, bytes?: number): Buffer {
  if (typeof s !== 'string' || !B64.test(s) || s.length % 4 !== 0) throw new Error(`${what} is not base64`)
  const b = Buffer.from(s, 'base64')
  if (b.toString('base64') !== s) throw new Error(`${what} is not canonical base64`)
  if (bytes !== undefined && b.length !== bytes) throw new Error(`${what} has the wrong length`)
  return b
}

export function seal(key: Buffer, plaintext: Buffer, aad: string): Sealed {
  const iv = randomBytes(12)
  const c = createCipheriv('aes-256-gcm', key, iv)
  c.setAAD(Buffer.from(aad, 'utf8'))
  const ct = Buffer.concat([c.update(plaintext), c.final()])
  return {
    v: 1,
    alg: 'A256GCM',
    iv: iv.toString('base64'),
    ct: ct.toString('base64'),
    tag: c.getAuthTag().toString('base64'),
  }
}

/** Throws on any tampering, a wrong key, or a wrong binding (AAD). */
export function open(key: Buffer, s: Sealed, aad: string): Buffer {
  if (!s || s.v !== 1 || s.alg !== 'A256GCM') throw new Error('unknown sealed format')
  const d = createDecipheriv('aes-256-gcm', key, strictBase64(s.iv, 'iv', 12), { authTagLength: 16 })
  d.setAAD(Buffer.from(aad, 'utf8'))
  d.setAuthTag(strictBase64(s.tag, 'tag', 16))
  return Buffer.concat([d.update(strictBase64(s.ct, 'ciphertext')), d.final()])
}

function subkey(dek: Buffer, vaultId: string, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', dek, Buffer.from(vaultId, 'utf8'), Buffer.from(info, 'utf8'), 32))
}

/** Runs `fn` with an HKDF subkey of the data key and zeroes the subkey afterwards. */
export function withSubkey<T>(dek: Buffer, vaultId: string, info: string, fn: (key: Buffer) => T): T {
  const k = subkey(dek, vaultId, info)
  try {
    return fn(k)
  } finally {
    k.fill(0)
  }
}

/** HKDF info of the key that seals one scope's secret: 'platform' or 'tenant:<id>'. */
const scopeKeyInfo = (scope: string): string => `tenant-key/v1/${scope}`
export const MAC_KEY_INFO = 'vault/v1/mac'

/** Authenticated data of the data-key wrap: editing the vault id or any KDF parameter breaks the unwrap. */
export const wrapAad = (file: { vaultId: string; kdf: ScryptParams }): string =>
  `vault/v1/wrap|${file.vaultId}|${canonical(file.kdf)}`

/** Authenticated data of one secret: binds it to its scope (tenant) and entry. */
const entryAad = (scope: string, entryId: string): string => canonical({ v: 1, scope, entryId })

export function sealEntry(
  dek: Buffer,
  vaultId: string,
  scope: string,
  entryId: string,
  plain: Buffer,
): Sealed {
  return withSubkey(dek, vaultId, scopeKeyInfo(scope), (k) => seal(k, plain, entryAad(scope, entryId)))
}

export function openEntry(dek: Buffer, vaultId: string, scope: string, entryId: string, s: Sealed): Buffer {
  return withSubkey(dek, vaultId, scopeKeyInfo(scope), (k) => open(k, s, entryAad(scope, entryId)))
}

export function mac(key: Buffer, content: string): string {
  return createHmac('sha256', key).update(content, 'utf8').digest('hex')
}

export function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8')
  const y = Buffer.from(b, 'utf8')
  return x.length === y.length && timingSafeEqual(x, y)
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

/**
 * What identifies an upstream account without revealing its key: the first 12 hex digits of SHA-256(key) (the same
 * value the Sandbox and the ledger use). Stable across passphrase changes and data-key rotation. A 48-bit prefix of a
 * hash of a 32-character random key gives nothing that helps guess the key.
 */
export function keyFingerprint(key: string): string {
  return sha256Hex(key).slice(0, 12)
}

export function randomBase64(bytes: number): string {
  return randomBytes(bytes).toString('base64')
}

/** Runs `fn`; if it throws, zeroes `key` (a data key that must not outlive a failed check) and rethrows. */
export function zeroOnFailure<T>(key: Buffer, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    key.fill(0)
    throw err
  }
}
