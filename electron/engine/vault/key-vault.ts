/**
 * The encrypted key vault. A random data key (DEK) encrypts every secret; the passphrase (scrypt) only wraps the DEK.
 * Each secret is sealed with AES-256-GCM under a per-scope subkey (HKDF of the DEK), with authenticated data that binds
 * it to its scope and entry, and an HMAC over the whole file detects any other change. Key material lives in
 * Buffers that are zeroed on lock; nothing but masked descriptions ever leaves this module, except through
 * readKeyForSolve, which only the main process's solver calls.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import type { DeviceKeyProtector } from './device-protector'
import {
  DeviceUnlockError,
  NoKeyError,
  VaultDamagedError,
  VaultError,
  VaultExistsError,
  VaultLockedError,
  VaultThrottledError,
  WeakKdfError,
  WrongPassphraseError,
} from './errors'
import {
  canonical,
  deriveKek,
  mac,
  MINIMUM_KDF,
  open,
  RECOMMENDED_KDF,
  randomBase64,
  sameMac,
  seal,
  subkey,
  type ScryptParams,
} from './vault-crypto'
import {
  discardStaleTemp,
  readVaultFile,
  readThrottle,
  writeThrottle,
  writeVaultFileAtomic,
  type VaultFileV1,
  type WriteHooks,
} from './vault-file'

export interface VaultEntryInfo {
  scope: 'platform' | 'tenant'
  tenantId: string | null
  label: string
  last4: string
  fingerprint: string
  createdAt: string
  updatedAt: string
}

interface EntryPlain {
  key: string
  label: string
  last4: string
  fingerprint: string
  createdAt: string
  updatedAt: string
}

export interface VaultOptions {
  now?: () => number
  /** scrypt cost for new vaults and passphrase changes (default N=2^17, r=8, p=1). */
  kdf?: { N: number; r: number; p: number }
  /** Files with weaker parameters are refused on read (anti-downgrade). Default N=2^15, r=8, p=1. */
  minimumKdf?: { N: number; r: number; p: number }
  /** Only tests may go below the minimum. */
  allowWeakKdfForTests?: boolean
  idleLockMs?: number
  hooks?: WriteHooks
  device?: DeviceKeyProtector
}

export const MIN_PASSPHRASE_LENGTH = 10
const KEY_FORMAT = /^[A-Za-z0-9]{32}$/

function checkPassphrase(p: unknown): string {
  if (typeof p !== 'string' || p.length < MIN_PASSPHRASE_LENGTH) {
    throw new VaultError(`The passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters long.`)
  }
  if (p.length > 1024) throw new VaultError('The passphrase is longer than 1024 characters.')
  return p
}

function checkUpstreamKey(key: unknown): string {
  const k = typeof key === 'string' ? key.trim() : ''
  if (!KEY_FORMAT.test(k))
    throw new VaultError(
      'An upstream API key is 32 letters and digits; the value given is not (it was not stored).',
    )
  return k
}

function checkLabel(label: unknown): string {
  const l = typeof label === 'string' ? label.trim() : ''
  if (l.length > 80) throw new VaultError('The label is longer than 80 characters.')
  return l
}

function checkTenantId(id: unknown): string {
  if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id))
    throw new VaultError('That is not a tenant id.')
  return id
}

const wrapAad = (file: Pick<VaultFileV1, 'vaultId' | 'kdf'>): string =>
  `vault/v1/wrap|${file.vaultId}|${canonical(file.kdf)}`
const entryAad = (scope: string, entryId: string): string => canonical({ v: 1, scope, entryId })
const macContent = (file: VaultFileV1): string => {
  const { mac: _mac, ...rest } = file
  return canonical(rest)
}

export class KeyVault {
  private file: VaultFileV1 | undefined
  private dek: Buffer | undefined
  private failures = 0
  private deviceInvalidated = false
  private blockedUntil = 0
  private lastActive = 0
  private idleTimer: NodeJS.Timeout | undefined
  private readonly lockListeners = new Set<(reason: string) => void>()
  private readonly now: () => number

  private constructor(
    readonly path: string,
    private readonly options: VaultOptions,
  ) {
    this.now = options.now ?? Date.now
    const min = options.minimumKdf ?? MINIMUM_KDF
    const kdf = options.kdf ?? RECOMMENDED_KDF
    if (!options.allowWeakKdfForTests && (kdf.N < min.N || kdf.r < min.r || kdf.p < min.p)) {
      throw new WeakKdfError('The configured key-derivation cost is below the minimum.')
    }
  }

  /** Opens the vault at `path` (which may not exist yet: then `exists()` is false and `create` makes it). */
  static open(path: string, options: VaultOptions = {}): KeyVault {
    const v = new KeyVault(path, options)
    discardStaleTemp(path)
    const throttle = readThrottle(path)
    v.failures = throttle.failures
    v.blockedUntil = throttle.blockedUntil
    if (existsSync(path)) v.file = v.checkedHeader(readVaultFile(path))
    return v
  }

  exists(): boolean {
    return this.file !== undefined
  }

  isUnlocked(): boolean {
    return this.dek !== undefined
  }

  kdfParams(): Omit<ScryptParams, 'salt'> | undefined {
    if (!this.file) return undefined
    const { name, N, r, p } = this.file.kdf
    return { name, N, r, p }
  }

  private checkedHeader(file: VaultFileV1): VaultFileV1 {
    const min = this.options.minimumKdf ?? MINIMUM_KDF
    const k = file.kdf
    if (!this.options.allowWeakKdfForTests && (k.N < min.N || k.r < min.r || k.p < min.p)) {
      throw new WeakKdfError(
        'The vault file asks for a weaker key derivation than this app accepts (possible downgrade attack). It was not opened.',
      )
    }
    if (k.N > 2 ** 22 || k.r > 32 || k.p > 16) throw new VaultDamagedError('key-derivation cost out of range')
    return file
  }

  async create(passphrase: string): Promise<void> {
    if (this.file || existsSync(this.path)) throw new VaultExistsError()
    checkPassphrase(passphrase)
    const kdfCost = this.options.kdf ?? RECOMMENDED_KDF
    const at = new Date(this.now()).toISOString()
    const dek = randomBytes(32)
    const kdf: ScryptParams = { name: 'scrypt', ...kdfCost, salt: randomBase64(16) }
    const vaultId = randomBytes(16).toString('hex')
    const kek = await deriveKek(passphrase, kdf)
    const file: VaultFileV1 = {
      format: 'captchadesk-vault',
      version: 1,
      vaultId,
      kdf,
      wrappedDek: seal(kek, dek, wrapAad({ vaultId, kdf })),
      deviceUnlock: null,
      entries: [],
      createdAt: at,
      updatedAt: at,
      mac: '',
    }
    kek.fill(0)
    this.persist(file, dek)
    this.dek = dek
    this.activity()
  }

  async unlock(passphrase: string): Promise<void> {
    const file = this.requireFile()
    const wait = this.blockedUntil - this.now()
    if (wait > 0) throw new VaultThrottledError(wait)
    const miss = (): WrongPassphraseError => {
      this.failures++
      // Growing delays: none for the first two misses, then 1 s, 2 s, 4 s … up to a minute.
      if (this.failures >= 3)
        this.blockedUntil = this.now() + Math.min(60_000, 1_000 * 2 ** (this.failures - 3))
      // Kept beside the vault (never in it), so a restart does not reset the delay.
      writeThrottle(this.path, { failures: this.failures, blockedUntil: this.blockedUntil })
      return new WrongPassphraseError()
    }
    if (typeof passphrase !== 'string' || passphrase.length === 0 || passphrase.length > 1024) throw miss()
    let kek: Buffer
    try {
      kek = await deriveKek(passphrase, file.kdf)
    } catch {
      throw new VaultDamagedError('key derivation failed')
    }
    let dek: Buffer
    try {
      dek = open(kek, file.wrappedDek, wrapAad(file))
    } catch {
      throw miss()
    } finally {
      kek.fill(0)
    }
    this.verifyWhole(file, dek)
    if (this.failures > 0) writeThrottle(this.path, { failures: 0, blockedUntil: 0 })
    this.failures = 0
    this.blockedUntil = 0
    this.dek = dek
    const d = this.options.device
    if (
      file.deviceUnlock &&
      (this.deviceInvalidated || (d && d.isAvailable() && d.backend() !== file.deviceUnlock.backend))
    ) {
      this.persist({ ...file, deviceUnlock: null }, dek)
      this.deviceInvalidated = false
    }
    this.activity()
  }

  /** Unlocks with the OS keystore, if it was enabled on this device and its backend has not changed. */
  async unlockWithDevice(): Promise<void> {
    const file = this.requireFile()
    const d = this.options.device
    if (!file.deviceUnlock) throw new DeviceUnlockError('Device unlock is not enabled for this vault.')
    if (!d || !d.isAvailable())
      throw new DeviceUnlockError('The system keystore is not available; unlock with the passphrase.')
    if (d.backend() !== file.deviceUnlock.backend) {
      // Invalidated: removed from the file at the next passphrase unlock (the file's MAC needs the data key).
      this.deviceInvalidated = true
      throw new DeviceUnlockError(
        'The system keystore changed since device unlock was enabled; it was turned off. Unlock with the passphrase.',
      )
    }
    let dek: Buffer
    try {
      dek = d.unprotect(Buffer.from(file.deviceUnlock.wrapped, 'base64'))
      if (dek.length !== 32) throw new Error('length')
    } catch {
      throw new DeviceUnlockError('The system keystore could not open the vault; unlock with the passphrase.')
    }
    this.verifyWhole(file, dek)
    this.dek = dek
    this.activity()
  }

  enableDeviceUnlock(): void {
    const dek = this.requireDek()
    const d = this.options.device
    if (!d || !d.isAvailable())
      throw new DeviceUnlockError('No system keystore is available on this machine.')
    if (d.backend() === 'basic_text') {
      throw new DeviceUnlockError(
        'This Linux session has no secret store (basic_text backend); device unlock would not protect anything, so it is refused.',
      )
    }
    const wrapped = d.protect(dek).toString('base64')
    this.persist({ ...this.requireFile(), deviceUnlock: { backend: d.backend(), wrapped } }, dek)
  }

  disableDeviceUnlock(): void {
    this.persist({ ...this.requireFile(), deviceUnlock: null }, this.requireDek())
  }

  deviceUnlockEnabled(): boolean {
    return this.file?.deviceUnlock != null
  }

  lock(reason = 'locked'): void {
    if (this.idleTimer) clearInterval(this.idleTimer)
    this.idleTimer = undefined
    if (!this.dek) return
    this.dek.fill(0)
    this.dek = undefined
    for (const l of this.lockListeners) l(reason)
  }

  onLock(listener: (reason: string) => void): () => void {
    this.lockListeners.add(listener)
    return () => this.lockListeners.delete(listener)
  }

  /** Changes the idle auto-lock (undefined or 0: never). */
  setIdleLock(ms: number | undefined): void {
    this.options.idleLockMs = ms
    if (this.idleTimer) clearInterval(this.idleTimer)
    this.idleTimer = undefined
    if (this.dek) this.activity()
  }

  /** Marks activity (resets the idle timer). */
  touch(): void {
    if (this.dek) this.lastActive = this.now()
  }

  /** Locks if idle for longer than idleLockMs (checked every 10 s; tests call it directly). */
  checkIdle(): void {
    const idle = this.options.idleLockMs
    if (this.dek && idle !== undefined && idle > 0 && this.now() - this.lastActive >= idle) this.lock('idle')
  }

  async changePassphrase(oldPassphrase: string, newPassphrase: string): Promise<void> {
    checkPassphrase(newPassphrase)
    const file = this.requireFile()
    const oldKek = await deriveKek(oldPassphrase, file.kdf)
    let dek: Buffer
    try {
      dek = open(oldKek, file.wrappedDek, wrapAad(file))
    } catch {
      throw new WrongPassphraseError()
    } finally {
      oldKek.fill(0)
    }
    const kdf: ScryptParams = {
      name: 'scrypt',
      ...(this.options.kdf ?? RECOMMENDED_KDF),
      salt: randomBase64(16),
    }
    const kek = await deriveKek(newPassphrase, kdf)
    const next: VaultFileV1 = {
      ...file,
      kdf,
      wrappedDek: seal(kek, dek, wrapAad({ vaultId: file.vaultId, kdf })),
    }
    kek.fill(0)
    // Only the wrap changes; entries are untouched. One atomic rename: old or new passphrase works, never neither.
    this.persist(next, dek)
    dek.fill(0)
  }

  /** Re-encrypts every entry under a fresh data key (after a suspected compromise), in one atomic write. */
  async rotateDataKey(passphrase: string): Promise<void> {
    const file = this.requireFile()
    const kek = await deriveKek(passphrase, file.kdf)
    let oldDek: Buffer
    try {
      oldDek = open(kek, file.wrappedDek, wrapAad(file))
    } catch {
      kek.fill(0)
      throw new WrongPassphraseError()
    }
    this.verifyWhole(file, oldDek)
    const newDek = randomBytes(32)
    const entries = file.entries.map((e) => {
      const plain = open(
        subkey(oldDek, file.vaultId, `entry/v1/${e.scope}`),
        e.sealed,
        entryAad(e.scope, e.entryId),
      )
      const sealed = seal(
        subkey(newDek, file.vaultId, `entry/v1/${e.scope}`),
        plain,
        entryAad(e.scope, e.entryId),
      )
      plain.fill(0)
      return { ...e, sealed }
    })
    const next: VaultFileV1 = {
      ...file,
      entries,
      wrappedDek: seal(kek, newDek, wrapAad(file)),
      deviceUnlock: null,
    }
    kek.fill(0)
    oldDek.fill(0)
    this.persist(next, newDek)
    this.dek?.fill(0)
    this.dek = newDek
    this.activity()
  }

  setPlatformKey(key: string, label = 'Platform key'): VaultEntryInfo {
    return this.setEntry('platform', key, label)
  }

  setTenantKey(tenantId: string, key: string, label = 'Tenant key'): VaultEntryInfo {
    return this.setEntry(`tenant:${checkTenantId(tenantId)}`, key, label)
  }

  removePlatformKey(): boolean {
    return this.removeEntry('platform')
  }

  removeTenantKey(tenantId: string): boolean {
    return this.removeEntry(`tenant:${checkTenantId(tenantId)}`)
  }

  /** Masked descriptions only: label, last 4, fingerprint, dates. */
  describe(): VaultEntryInfo[] {
    const dek = this.requireDek()
    const file = this.requireFile()
    return file.entries.map((e) => this.info(e.scope, this.openEntry(dek, file, e)))
  }

  hasKey(scope: { tenantId: string } | 'platform'): boolean {
    const file = this.requireFile()
    const s = scope === 'platform' ? 'platform' : `tenant:${scope.tenantId}`
    return file.entries.some((e) => e.scope === s)
  }

  /**
   * For the solver, inside the main process only. Own-mode tenants use their own key (never silently the platform
   * key); shared-mode tenants use the platform key.
   */
  readKeyForSolve(
    tenantId: string,
    keyMode: 'own' | 'shared',
    options: { touch?: boolean } = {},
  ): { key: string; fingerprint: string } {
    const dek = this.requireDek()
    const file = this.requireFile()
    const scope = keyMode === 'own' ? `tenant:${checkTenantId(tenantId)}` : 'platform'
    const e = file.entries.find((x) => x.scope === scope)
    if (!e) {
      throw new NoKeyError(
        keyMode === 'own'
          ? 'This tenant uses its own upstream key, and none is set. Set it in the tenant’s key settings.'
          : 'No platform key is set. Add one in Settings.',
      )
    }
    const plain = this.openEntry(dek, file, e)
    if (options.touch !== false) this.touch()
    return { key: plain.key, fingerprint: plain.fingerprint }
  }

  private setEntry(scope: string, rawKey: string, rawLabel: string): VaultEntryInfo {
    const key = checkUpstreamKey(rawKey)
    const label = checkLabel(rawLabel)
    const dek = this.requireDek()
    const file = this.requireFile()
    const at = new Date(this.now()).toISOString()
    const existing = file.entries.find((e) => e.scope === scope)
    const createdAt = existing ? this.openEntry(dek, file, existing).createdAt : at
    const fingerprint = createHmac('sha256', subkey(dek, file.vaultId, 'fingerprint/v1'))
      .update(key)
      .digest('hex')
      .slice(0, 12)
    const plain: EntryPlain = { key, label, last4: key.slice(-4), fingerprint, createdAt, updatedAt: at }
    const entryId = randomUUID()
    const sealed = seal(
      subkey(dek, file.vaultId, `entry/v1/${scope}`),
      Buffer.from(JSON.stringify(plain), 'utf8'),
      entryAad(scope, entryId),
    )
    const entries = [...file.entries.filter((e) => e.scope !== scope), { entryId, scope, sealed }]
    this.persist({ ...file, entries }, dek)
    this.touch()
    return this.info(scope, plain)
  }

  private removeEntry(scope: string): boolean {
    const dek = this.requireDek()
    const file = this.requireFile()
    if (!file.entries.some((e) => e.scope === scope)) return false
    this.persist({ ...file, entries: file.entries.filter((e) => e.scope !== scope) }, dek)
    this.touch()
    return true
  }

  private openEntry(dek: Buffer, file: VaultFileV1, e: VaultFileV1['entries'][number]): EntryPlain {
    try {
      const plain = JSON.parse(
        open(
          subkey(dek, file.vaultId, `entry/v1/${e.scope}`),
          e.sealed,
          entryAad(e.scope, e.entryId),
        ).toString('utf8'),
      ) as EntryPlain
      if (typeof plain.key !== 'string') throw new Error('shape')
      return plain
    } catch {
      throw new VaultDamagedError(
        `an entry does not belong where it is (${e.scope === 'platform' ? 'platform' : 'tenant'} entry)`,
      )
    }
  }

  private info(scope: string, p: EntryPlain): VaultEntryInfo {
    const isPlatform = scope === 'platform'
    return {
      scope: isPlatform ? 'platform' : 'tenant',
      tenantId: isPlatform ? null : scope.slice('tenant:'.length),
      label: p.label,
      last4: p.last4,
      fingerprint: p.fingerprint,
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
    }
  }

  /** Checks the file's MAC and that every entry opens where it sits. */
  private verifyWhole(file: VaultFileV1, dek: Buffer): void {
    const expected = mac(subkey(dek, file.vaultId, 'vault/v1/mac'), macContent(file))
    if (!sameMac(expected, file.mac)) {
      dek.fill(0)
      throw new VaultDamagedError('its integrity check failed')
    }
    const scopes = new Set<string>()
    for (const e of file.entries) {
      if (scopes.has(e.scope)) throw new VaultDamagedError('two entries for one owner')
      scopes.add(e.scope)
      this.openEntry(dek, file, e)
    }
  }

  private persist(next: VaultFileV1, dek: Buffer): void {
    const stamped: VaultFileV1 = { ...next, updatedAt: new Date(this.now()).toISOString(), mac: '' }
    stamped.mac = mac(subkey(dek, stamped.vaultId, 'vault/v1/mac'), macContent(stamped))
    writeVaultFileAtomic(this.path, stamped, this.options.hooks)
    this.file = stamped
  }

  private requireFile(): VaultFileV1 {
    if (!this.file) throw new VaultError('No vault exists yet. Create one with a passphrase first.')
    return this.file
  }

  private requireDek(): Buffer {
    if (!this.dek) throw new VaultLockedError()
    return this.dek
  }

  private activity(): void {
    this.lastActive = this.now()
    const idle = this.options.idleLockMs
    if (idle !== undefined && idle > 0 && !this.idleTimer) {
      this.idleTimer = setInterval(() => this.checkIdle(), Math.min(10_000, idle))
      this.idleTimer.unref()
    }
  }
}
