/** The vault file: parsed strictly, written atomically (temp file, fsync, rename, fsync the folder), mode 0600. */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { dirname } from 'node:path'
import type { Sealed, ScryptParams } from './vault-crypto'
import { VaultDamagedError } from './errors'

export interface VaultEntryRecord {
  entryId: string
  /** 'platform' or 'tenant:<id>'; bound into the entry's authenticated data. */
  scope: string
  /** The secret and its metadata (label, last4, fingerprint, dates), all encrypted. */
  sealed: Sealed
}

export interface VaultFileV1 {
  format: 'captchadesk-vault'
  version: 1
  vaultId: string
  kdf: ScryptParams
  wrappedDek: Sealed
  deviceUnlock: { backend: string; wrapped: string } | null
  entries: VaultEntryRecord[]
  createdAt: string
  updatedAt: string
  /** HMAC over everything above (canonical JSON), under a key derived from the data key. */
  mac: string
}

/** Fault-injection points for crash tests: throwing here leaves the disk as a crash at that point would. */
export interface WriteHooks {
  afterTempWrite?: () => void
  beforeRename?: () => void
}

export function readVaultFile(path: string): VaultFileV1 {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new VaultDamagedError(`cannot read it: ${(err as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new VaultDamagedError('not valid JSON')
  }
  const v = data as Partial<VaultFileV1>
  if (!v || typeof v !== 'object' || v.format !== 'captchadesk-vault')
    throw new VaultDamagedError('not a CaptchaDesk vault')
  if (v.version !== 1) throw new VaultDamagedError(`unsupported version ${String(v.version)}`)
  const kdf = v.kdf as Partial<ScryptParams> | undefined
  if (
    !kdf ||
    kdf.name !== 'scrypt' ||
    ![kdf.N, kdf.r, kdf.p].every((n) => Number.isSafeInteger(n) && (n as number) > 0) ||
    typeof kdf.salt !== 'string'
  ) {
    throw new VaultDamagedError('bad key-derivation header')
  }
  if ((kdf.N! & (kdf.N! - 1)) !== 0) throw new VaultDamagedError('bad key-derivation header')
  if (typeof v.vaultId !== 'string' || !/^[0-9a-f]{32}$/.test(v.vaultId))
    throw new VaultDamagedError('bad vault id')
  if (
    !Array.isArray(v.entries) ||
    !v.wrappedDek ||
    typeof v.mac !== 'string' ||
    !/^[0-9a-f]{64}$/.test(v.mac)
  ) {
    throw new VaultDamagedError('missing parts')
  }
  for (const e of v.entries) {
    if (!e || typeof e.entryId !== 'string' || typeof e.scope !== 'string' || !e.sealed)
      throw new VaultDamagedError('bad entry')
  }
  return v as VaultFileV1
}

export function writeVaultFileAtomic(path: string, file: VaultFileV1, hooks: WriteHooks = {}): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const tmp = `${path}.tmp`
  const fd = openSync(tmp, 'w', 0o600)
  try {
    writeSync(fd, JSON.stringify(file))
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  hooks.afterTempWrite?.()
  hooks.beforeRename?.()
  renameSync(tmp, path)
  try {
    const dfd = openSync(dirname(path), 'r')
    fsyncSync(dfd)
    closeSync(dfd)
  } catch {
    // fsync of a directory is not supported everywhere (Windows); the rename itself is atomic.
  }
}

/** A temp file left by a crash before its rename is never the vault: remove it. */
export function discardStaleTemp(path: string): void {
  if (existsSync(`${path}.tmp`)) rmSync(`${path}.tmp`, { force: true })
}

/** Failed-unlock state, beside the vault file so the growing delays survive a restart. */
export interface ThrottleState {
  failures: number
  blockedUntil: number
}

const throttlePath = (vaultPath: string): string => `${vaultPath}.throttle`

export function readThrottle(vaultPath: string): ThrottleState {
  try {
    const t = JSON.parse(readFileSync(throttlePath(vaultPath), 'utf8')) as Partial<ThrottleState>
    const failures =
      Number.isSafeInteger(t.failures) && (t.failures as number) >= 0 ? (t.failures as number) : 0
    const blockedUntil = Number.isSafeInteger(t.blockedUntil) ? (t.blockedUntil as number) : 0
    return { failures: Math.min(failures, 1_000), blockedUntil }
  } catch {
    return { failures: 0, blockedUntil: 0 }
  }
}

export function writeThrottle(vaultPath: string, state: ThrottleState): void {
  const path = throttlePath(vaultPath)
  const tmp = `${path}.tmp`
  const fd = openSync(tmp, 'w', 0o600)
  try {
    writeSync(fd, JSON.stringify(state))
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
}
