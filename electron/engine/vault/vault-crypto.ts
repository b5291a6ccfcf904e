/** Node built-in crypto only (Electron's BoringSSL has no Argon2; scrypt and AES-256-GCM exist in both). */
import {
  createCipheriv,
  createDecipheriv,
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

export const RECOMMENDED_KDF = { N: 2 ** 17, r: 8, p: 1 }
export const MINIMUM_KDF = { N: 2 ** 15, r: 8, p: 1 }

export function deriveKek(passphrase: string, kdf: ScryptParams): Promise<Buffer> {
  const salt = Buffer.from(kdf.salt, 'base64')
  const maxmem = 128 * kdf.N * kdf.r * 2 + 1024 * 1024
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
  const d = createDecipheriv('aes-256-gcm', key, strictBase64(s.iv, 'iv', 12))
  d.setAAD(Buffer.from(aad, 'utf8'))
  d.setAuthTag(strictBase64(s.tag, 'tag', 16))
  return Buffer.concat([d.update(strictBase64(s.ct, 'ciphertext')), d.final()])
}

export function subkey(dek: Buffer, vaultId: string, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', dek, Buffer.from(vaultId, 'utf8'), Buffer.from(info, 'utf8'), 32))
}

export function mac(key: Buffer, content: string): string {
  return createHmac('sha256', key).update(content, 'utf8').digest('hex')
}

export function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8')
  const y = Buffer.from(b, 'utf8')
  return x.length === y.length && timingSafeEqual(x, y)
}

export function randomBase64(bytes: number): string {
  return randomBytes(bytes).toString('base64')
}
