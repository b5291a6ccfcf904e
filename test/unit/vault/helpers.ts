/** Shared fixtures for the vault tests: a temp folder, fast (test-only) KDF, sample keys, file forging helpers. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KeyVault, type DeviceKeyProtector, type VaultOptions } from '../../../electron/engine/vault'
import {
  deriveKek,
  mac,
  MAC_KEY_INFO,
  open,
  withSubkey,
  wrapAad,
} from '../../../electron/engine/vault/vault-crypto'
import {
  macInput,
  parseVaultFile,
  serializeVaultFile,
  type VaultFileV1,
} from '../../../electron/engine/vault/vault-file'

export const FAST: VaultOptions = { kdf: { N: 2 ** 10, r: 8, p: 1 }, allowWeakKdfForTests: true }
export const PASS = 'correct horse battery'
export const NEW_PASS = 'a brand new passphrase'
export const PLATFORM = 'P1a2b3c4d5e6f7g8h9i0j1k2l3m4n5o6'
export const TENANT_A = 'AAAAbbbbCCCCddddEEEEffffGGGGhhh1'
export const TENANT_B = 'BBBBccccDDDDeeeeFFFFggggHHHHiii2'
export const SECRETS = [PLATFORM, TENANT_A, TENANT_B, PASS, NEW_PASS]

export interface TempVault {
  dir: string
  path: string
  cleanup(): void
}

export function tempVault(): TempVault {
  const dir = mkdtempSync(join(tmpdir(), 'vault-'))
  return { dir, path: join(dir, 'vault.json'), cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Opens a vault at `path` that does not exist yet and creates it (left unlocked). */
export async function createVault(
  path: string,
  passphrase: string,
  opts: VaultOptions = {},
): Promise<KeyVault> {
  const v = KeyVault.open(path, opts)
  await v.create(passphrase)
  return v
}

export async function filled(path: string, opts: VaultOptions = {}): Promise<KeyVault> {
  const v = await createVault(path, PASS, { ...FAST, ...opts })
  v.setPlatformKey(PLATFORM, 'Main plan')
  v.setTenantKey('t_a', TENANT_A, 'Acme own key')
  v.setTenantKey('t_b', TENANT_B)
  return v
}

/** Every form in which a secret could leak: as is, base64, hex, UTF-16, and a long prefix of each. */
export function leakForms(secret: string): string[] {
  const b = Buffer.from(secret, 'utf8')
  return [
    secret,
    secret.slice(0, 16),
    secret.slice(-16),
    b.toString('base64').slice(0, 20),
    b.toString('hex').slice(0, 24),
    Buffer.from(secret, 'utf16le').toString('latin1').slice(0, 24),
    encodeURIComponent(secret).slice(0, 16),
  ]
}

export function findLeaks(haystack: string, secrets: string[] = SECRETS): string[] {
  const found: string[] = []
  for (const s of secrets) for (const f of leakForms(s)) if (haystack.includes(f)) found.push(f)
  return found
}

export function allFilesText(dir: string): string {
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'latin1'))
    .join('\n')
}

/** Reads the file as a parsed object (for forging). */
export const readFile = (path: string): VaultFileV1 => parseVaultFile(readFileSync(path, 'utf8'))

/** Writes a forged file with a correct checksum (what a deliberate attacker could do; the HMAC stays as given). */
export function writeWithChecksum(path: string, file: VaultFileV1): void {
  writeFileSync(path, serializeVaultFile(file))
}

/**
 * Writes a forged file whose HMAC is recomputed with the real data key: an attacker who somehow knew the data key.
 * Lets a test prove that a protection below the HMAC (the AAD binding) holds on its own.
 */
export async function writeWithForgedMac(path: string, file: VaultFileV1, passphrase = PASS): Promise<void> {
  const kek = await deriveKek(passphrase, file.kdf)
  const dek = open(kek, file.wrappedDek, wrapAad(file))
  const forged = { ...file, mac: '' }
  forged.mac = withSubkey(dek, file.vaultId, MAC_KEY_INFO, (k) => mac(k, macInput(forged)))
  writeWithChecksum(path, forged)
}

/** A stand-in for the OS keystore: XOR "encryption", switchable backend and availability. */
export function fakeDevice(initialBackend: string, available = true) {
  const state = { backend: initialBackend, available, protects: 0 }
  const protector: DeviceKeyProtector = {
    backend: () => state.backend,
    isAvailable: () => state.available,
    protect: (b) => {
      state.protects++
      return Buffer.from(b.map((x) => x ^ 0x5a))
    },
    unprotect: (b) => Buffer.from(b.map((x) => x ^ 0x5a)),
  }
  return { state, protector }
}

export async function caught(p: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    if (typeof p === 'function') await p()
    else await p
  } catch (e) {
    return e
  }
  throw new Error('expected an error, but none was thrown')
}
