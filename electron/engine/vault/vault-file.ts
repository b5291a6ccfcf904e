/**
 * The vault file: parsed strictly, written atomically (temp file, fsync, rename, fsync the folder), mode 0600.
 *
 * Two checks guard it. A plain SHA-256 checksum over the exact bytes catches accidental damage (a flipped bit, a cut-off
 * write, an editor's reformatting) before any passphrase is tried, so damage is reported as damage and never counted
 * as a wrong passphrase. The HMAC under a key derived from the data key (checked on unlock) catches deliberate edits,
 * which could recompute the checksum but not the HMAC.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { fsyncDir, writeSynced } from '../files/durable-write'
import {
  canonical,
  MAX_KDF_MEMORY,
  scryptMemory,
  sha256Hex,
  type Sealed,
  type ScryptParams,
} from './vault-crypto'
import { VaultDamagedError } from './errors'

export interface VaultEntryRecord {
  entryId: string
  /** 'platform' or 'tenant:<id>'; bound into the entry's authenticated data. */
  scope: string
  /** The secret and its metadata (label, last4, dates), all encrypted. */
  sealed: Sealed
}

export interface DeviceUnlockRecord {
  /** The keystore backend that wrapped the data key; another backend means device unlock is invalid. */
  backend: string
  /** The data key as wrapped by the keystore (base64). */
  wrappedDek: string
}

export interface VaultFileV1 {
  format: 'captchadesk-vault'
  version: 1
  vaultId: string
  kdf: ScryptParams
  wrappedDek: Sealed
  deviceUnlock: DeviceUnlockRecord | null
  entries: VaultEntryRecord[]
  createdAt: string
  updatedAt: string
  /**
   * Raised by every write (inside the HMAC); the last value written is also anchored outside the file, so an older
   * copy put back is refused (rollback-anchor.ts). Absent in files written before it existed (generation 0).
   */
  generation?: number
  /** HMAC-SHA256 over everything above (canonical JSON), under HKDF(DEK, 'vault/v1/mac'). */
  mac: string
}

/** Fault-injection points for crash tests: throwing here leaves the disk as a crash at that point would. */
export interface WriteHooks {
  /** The temp file is written and fsynced; the vault file is untouched. */
  afterTempWrite?: () => void
  /** Just before the rename that replaces the vault file. */
  beforeRename?: () => void
  /** The rename happened (the new file is in place); the folder is not yet fsynced. */
  afterRename?: () => void
}

/** The text the HMAC covers: every field except the HMAC itself, in canonical JSON. */
export function macInput(file: VaultFileV1): string {
  const { mac: _mac, ...rest } = file
  return canonical(rest)
}

/** The exact bytes written: the file's JSON with a trailing SHA-256 checksum of the JSON before it. */
export function serializeVaultFile(file: VaultFileV1): string {
  const body = JSON.stringify(file)
  return JSON.stringify({ ...file, checksum: sha256Hex(body) })
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x)
const isSealed = (s: unknown): boolean =>
  isObject(s) &&
  s.v === 1 &&
  s.alg === 'A256GCM' &&
  typeof s.iv === 'string' &&
  typeof s.ct === 'string' &&
  typeof s.tag === 'string' &&
  Object.keys(s).length === 5

/** Parses and checks the vault text; anything unexpected is a VaultDamagedError (and the file is left alone). */
export function parseVaultFile(text: string): VaultFileV1 {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new VaultDamagedError('not valid JSON; it may have been cut short')
  }
  if (!isObject(data) || data.format !== 'captchadesk-vault')
    throw new VaultDamagedError('not a CaptchaDesk vault')
  if (data.version !== 1) throw new VaultDamagedError(`unsupported version ${String(data.version)}`)
  const { checksum, ...rest } = data
  if (typeof checksum !== 'string' || !/^[0-9a-f]{64}$/.test(checksum))
    throw new VaultDamagedError('its checksum is missing')
  // Byte-exact: re-serializing must give the very same text, so no change can hide in spacing or escapes.
  if (JSON.stringify(data) !== text || sha256Hex(JSON.stringify(rest)) !== checksum)
    throw new VaultDamagedError('its checksum does not match its content')

  const v = rest as Partial<VaultFileV1>
  const kdf = v.kdf as Partial<ScryptParams> | undefined
  if (
    !isObject(kdf) ||
    kdf.name !== 'scrypt' ||
    ![kdf.N, kdf.r, kdf.p].every((n) => Number.isSafeInteger(n) && (n as number) > 0) ||
    (kdf.N! & (kdf.N! - 1)) !== 0 ||
    kdf.N! < 2 ||
    typeof kdf.salt !== 'string' ||
    Buffer.from(kdf.salt, 'base64').length < 16
  ) {
    throw new VaultDamagedError('bad key-derivation header')
  }
  if (scryptMemory(kdf as ScryptParams) > MAX_KDF_MEMORY || kdf.r! > 32 || kdf.p! > 16)
    throw new VaultDamagedError('key-derivation cost out of range')
  if (typeof v.vaultId !== 'string' || !/^[0-9a-f]{32}$/.test(v.vaultId))
    throw new VaultDamagedError('bad vault id')
  if (!isSealed(v.wrappedDek)) throw new VaultDamagedError('bad wrapped data key')
  if (
    v.deviceUnlock !== null &&
    !(
      isObject(v.deviceUnlock) &&
      typeof v.deviceUnlock.backend === 'string' &&
      typeof v.deviceUnlock.wrappedDek === 'string'
    )
  ) {
    throw new VaultDamagedError('bad device-unlock record')
  }
  if (
    typeof v.createdAt !== 'string' ||
    !ISO.test(v.createdAt) ||
    typeof v.updatedAt !== 'string' ||
    !ISO.test(v.updatedAt)
  )
    throw new VaultDamagedError('bad dates')
  if (v.generation !== undefined && !(Number.isSafeInteger(v.generation) && v.generation >= 0))
    throw new VaultDamagedError('bad generation')
  if (typeof v.mac !== 'string' || !/^[0-9a-f]{64}$/.test(v.mac))
    throw new VaultDamagedError('bad integrity code')
  if (!Array.isArray(v.entries)) throw new VaultDamagedError('missing entries')
  for (const e of v.entries as unknown[]) {
    if (
      !isObject(e) ||
      typeof e.entryId !== 'string' ||
      typeof e.scope !== 'string' ||
      !/^(platform|tenant:[A-Za-z0-9_-]{1,64})$/.test(e.scope) ||
      !isSealed(e.sealed)
    )
      throw new VaultDamagedError('bad entry')
  }
  return v as VaultFileV1
}

export function readVaultFile(path: string): VaultFileV1 {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new VaultDamagedError(`cannot read it: ${(err as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  return parseVaultFile(text)
}

function writeFileDurably(path: string, text: string, hooks: WriteHooks): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const tmp = `${path}.tmp`
  rmSync(tmp, { force: true }) // a leftover could carry other permissions; open(…, 0o600) keeps an existing mode
  writeSynced(tmp, text, 'wx', 0o600)
  hooks.afterTempWrite?.()
  hooks.beforeRename?.()
  renameSync(tmp, path)
  hooks.afterRename?.()
  fsyncDir(dirname(path))
}

export function writeVaultFileAtomic(path: string, file: VaultFileV1, hooks: WriteHooks = {}): void {
  writeFileDurably(path, serializeVaultFile(file), hooks)
}

/** A temp file left by a crash before its rename is never the vault: remove it. */
export function discardStaleTemp(path: string): void {
  if (existsSync(`${path}.tmp`)) rmSync(`${path}.tmp`, { force: true })
}

/**
 * State kept beside the vault file (never in it, and never needing the data key): the failed-unlock count, so the
 * growing delays survive a restart, and whether device unlock was revoked because the keystore backend changed.
 */
export interface LocalVaultState {
  failures: number
  blockedUntil: number
  deviceRevoked: boolean
}

const statePath = (vaultPath: string): string => `${vaultPath}.throttle`

export function readLocalState(vaultPath: string): LocalVaultState {
  try {
    const t = JSON.parse(readFileSync(statePath(vaultPath), 'utf8')) as Partial<LocalVaultState>
    const failures =
      Number.isSafeInteger(t.failures) && (t.failures as number) >= 0 ? (t.failures as number) : 0
    const blockedUntil = Number.isSafeInteger(t.blockedUntil) ? (t.blockedUntil as number) : 0
    return { failures: Math.min(failures, 1_000), blockedUntil, deviceRevoked: t.deviceRevoked === true }
  } catch {
    return { failures: 0, blockedUntil: 0, deviceRevoked: false }
  }
}

export function writeLocalState(vaultPath: string, state: LocalVaultState): void {
  writeFileDurably(statePath(vaultPath), JSON.stringify(state), {})
}
