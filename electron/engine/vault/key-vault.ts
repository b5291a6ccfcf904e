/**
 * The encrypted key vault. A random data key (DEK) encrypts every secret; the passphrase (scrypt) only wraps the DEK.
 * Each secret is sealed with AES-256-GCM under a per-scope subkey (HKDF of the DEK), with authenticated data that binds
 * it to its scope and entry, and an HMAC over the whole file detects any other change. Key material lives in
 * Buffers that are zeroed on lock; nothing but masked descriptions ever leaves this module, except through
 * readKeyForSolve, which only the main process's solver calls.
 */
import { newPassphraseProblem, PASSPHRASE_MAX_LENGTH } from '@shared/passphrase'
import { randomBytes, randomUUID } from 'node:crypto'
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
  deriveKek,
  keyFingerprint,
  mac,
  MAC_KEY_INFO,
  MINIMUM_KDF,
  open,
  openEntry,
  RECOMMENDED_KDF,
  randomBase64,
  sameMac,
  seal,
  sealEntry,
  withSubkey,
  wrapAad,
  type KdfCost,
  type ScryptParams,
} from './vault-crypto'
import {
  discardStaleTemp,
  macInput,
  readLocalState,
  readVaultFile,
  writeLocalState,
  writeVaultFileAtomic,
  type LocalVaultState,
  type VaultEntryRecord,
  type VaultFileV1,
  type WriteHooks,
} from './vault-file'

/** What anything outside the main process may know about a stored key. */
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
  createdAt: string
  updatedAt: string
}

export interface VaultOptions {
  now?: () => number
  /** scrypt cost for new vaults, passphrase changes and rotations (default N=2^17, r=8, p=1). */
  kdf?: KdfCost
  /** Files with weaker parameters are refused on read (anti-downgrade). Default N=2^15, r=8, p=1. */
  minimumKdf?: KdfCost
  /** Only tests may go below the minimum (for the configured cost and for files read). */
  allowWeakKdfForTests?: boolean
  /** Idle time after which the vault locks itself (undefined or 0: never). Checked every 10 s at most. */
  idleLockMs?: number
  hooks?: WriteHooks
  device?: DeviceKeyProtector
}

const KEY_FORMAT = /^[A-Za-z0-9]{32}$/
const IDLE_CHECK_MS = 10_000
const MAX_DELAY_MS = 60_000
/** The floor when a test switches the minimum off: scrypt's own limits. */
const TEST_FLOOR_KDF: KdfCost = { N: 2, r: 1, p: 1 }

function checkNewPassphrase(p: unknown): string {
  const problem = newPassphraseProblem(p)
  if (problem) throw new VaultError(problem)
  return p as string
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
  if (label !== undefined && typeof label !== 'string') throw new VaultError('The label must be text.')
  const l = (label ?? '').trim()
  if (l.length > 80) throw new VaultError('The label is longer than 80 characters.')
  if ([...l].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    throw new VaultError('The label contains control characters.')
  return l
}

function checkTenantId(id: unknown): string {
  if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id))
    throw new VaultError('That is not a tenant id.')
  return id
}

function belowMinimum(k: KdfCost, min: KdfCost): boolean {
  return k.N < min.N || k.r < min.r || k.p < min.p
}

export class KeyVault {
  private file: VaultFileV1 | undefined
  private dek: Buffer | undefined
  private local: LocalVaultState = { failures: 0, blockedUntil: 0, deviceRevoked: false }
  private index: { file: VaultFileV1; byScope: Map<string, VaultEntryRecord> } | undefined
  private lastActive = 0
  /** Counts lock() calls, so an unlock that was still deriving its key when the vault was locked does not win. */
  private lockEpoch = 0
  private idleTimer: NodeJS.Timeout | undefined
  /** Passphrase work runs one at a time, so parallel guesses cannot slip past the throttle. */
  private queue: Promise<unknown> = Promise.resolve()
  private readonly lockListeners = new Set<(reason: string) => void>()
  private readonly changeListeners = new Set<() => void>()
  private readonly now: () => number
  private readonly minimum: KdfCost
  private readonly cost: KdfCost

  private constructor(
    readonly path: string,
    private readonly options: VaultOptions,
  ) {
    this.now = options.now ?? Date.now
    const weakOk = options.allowWeakKdfForTests === true
    // Tests may lower the floor; an explicitly configured minimum is enforced on read either way.
    this.minimum = options.minimumKdf ?? (weakOk ? TEST_FLOOR_KDF : MINIMUM_KDF)
    this.cost = options.kdf ?? RECOMMENDED_KDF
    if (!weakOk && belowMinimum(this.minimum, MINIMUM_KDF))
      throw new WeakKdfError('The configured minimum key-derivation cost is below what this app accepts.')
    if (belowMinimum(this.cost, this.minimum) || (!weakOk && belowMinimum(this.cost, MINIMUM_KDF)))
      throw new WeakKdfError('The configured key-derivation cost is below the minimum.')
  }

  /**
   * Opens the vault at `path` without unlocking it (reads and checks the header). The file may not exist yet: then
   * `exists()` is false and `create` makes it. A damaged or downgraded file throws and is left exactly as it is.
   */
  static open(path: string, options: VaultOptions = {}): KeyVault {
    const v = new KeyVault(path, options)
    discardStaleTemp(path)
    v.local = readLocalState(path)
    if (existsSync(path)) v.file = v.checkedHeader(readVaultFile(path))
    return v
  }

  /** Creates the vault file (first run) and leaves it unlocked. */
  static async create(path: string, passphrase: string, options: VaultOptions = {}): Promise<KeyVault> {
    const v = KeyVault.open(path, options)
    await v.create(passphrase)
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
    if (belowMinimum(file.kdf, this.minimum)) {
      throw new WeakKdfError(
        'The vault file asks for a weaker key derivation than this app accepts (possible downgrade attack). It was not opened.',
      )
    }
    return file
  }

  async create(passphrase: string): Promise<void> {
    return this.serial(async () => {
      if (this.file || existsSync(this.path)) throw new VaultExistsError()
      checkNewPassphrase(passphrase)
      const at = new Date(this.now()).toISOString()
      const dek = randomBytes(32)
      const kdf: ScryptParams = { name: 'scrypt', ...this.cost, salt: randomBase64(16) }
      const vaultId = randomBytes(16).toString('hex')
      const kek = await deriveKek(passphrase, kdf)
      if (this.file || existsSync(this.path)) {
        kek.fill(0)
        dek.fill(0)
        throw new VaultExistsError()
      }
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
      try {
        this.persist(file, dek)
      } catch (err) {
        dek.fill(0)
        throw err
      }
      this.setDek(dek)
    })
  }

  /** Unlocks with the passphrase. Throws WrongPassphraseError, VaultThrottledError or VaultDamagedError. */
  async unlock(passphrase: string): Promise<void> {
    const epoch = this.lockEpoch
    return this.serial(async () => {
      const file = this.requireFile()
      const dek = await this.unwrapWithPassphrase(file, passphrase)
      if (this.lockEpoch !== epoch) {
        // Locked (suspend, screen lock) while the key was being derived: the lock wins.
        dek.fill(0)
        throw new VaultLockedError()
      }
      const d = this.options.device
      const du = file.deviceUnlock
      if (du && (this.local.deviceRevoked || (d?.isAvailable() && d.backend() !== du.backend))) {
        // The keystore backend changed: the device wrap is worthless now; drop it from the file (as it is now).
        this.persist({ ...this.requireFile(), deviceUnlock: null }, dek)
        this.saveLocal({ deviceRevoked: false })
      }
      this.setDek(dek)
    })
  }

  /** Unlocks with the OS keystore, if it was enabled on this device and its backend has not changed. */
  async unlockWithDevice(): Promise<void> {
    const file = this.requireFile()
    const d = this.options.device
    const du = file.deviceUnlock
    if (!du) throw new DeviceUnlockError('Device unlock is not enabled for this vault.')
    if (this.local.deviceRevoked)
      throw new DeviceUnlockError(
        'Device unlock was turned off because the system keystore changed. Unlock with the passphrase.',
      )
    if (!d || !d.isAvailable())
      throw new DeviceUnlockError('The system keystore is not available; unlock with the passphrase.')
    if (d.backend() !== du.backend) {
      // Invalidated for good (kept beside the vault, since rewriting the file needs the data key); the stale
      // record is removed from the file at the next passphrase unlock.
      this.saveLocal({ deviceRevoked: true })
      throw new DeviceUnlockError(
        'The system keystore changed since device unlock was enabled, so device unlock was turned off. Unlock with the passphrase.',
      )
    }
    let dek: Buffer
    try {
      dek = d.unprotect(Buffer.from(du.wrappedDek, 'base64'))
    } catch {
      throw new DeviceUnlockError('The system keystore could not open the vault; unlock with the passphrase.')
    }
    if (dek.length !== 32) {
      dek.fill(0)
      throw new DeviceUnlockError('The system keystore could not open the vault; unlock with the passphrase.')
    }
    if (!this.macMatches(file, dek)) {
      dek.fill(0)
      throw new DeviceUnlockError(
        'The system keystore gave a key that does not open this vault; unlock with the passphrase.',
      )
    }
    try {
      this.verifyEntries(file, dek)
    } catch (err) {
      dek.fill(0)
      throw err
    }
    this.setDek(dek)
  }

  /** Also wraps the data key with the OS keystore. Refused on Linux's basic_text backend (no protection). */
  enableDeviceUnlock(): void {
    const dek = this.requireDek()
    const d = this.options.device
    if (d && d.backend() === 'basic_text') {
      throw new DeviceUnlockError(
        'This Linux session has no secret store (basic_text backend); device unlock would not protect anything, so it is refused.',
      )
    }
    if (!d || !d.isAvailable())
      throw new DeviceUnlockError('No system keystore is available on this machine.')
    const backend = d.backend()
    let wrapped: Buffer
    try {
      wrapped = d.protect(dek)
    } catch {
      throw new DeviceUnlockError('The system keystore refused to store the key.')
    }
    this.persist(
      { ...this.requireFile(), deviceUnlock: { backend, wrappedDek: wrapped.toString('base64') } },
      dek,
    )
    this.saveLocal({ deviceRevoked: false })
  }

  disableDeviceUnlock(): void {
    this.persist({ ...this.requireFile(), deviceUnlock: null }, this.requireDek())
  }

  deviceUnlockEnabled(): boolean {
    return this.file?.deviceUnlock != null && !this.local.deviceRevoked
  }

  /** Zeroes the data key and forgets it. Every key read fails until the next unlock. */
  lock(reason = 'locked'): void {
    this.lockEpoch++
    if (this.idleTimer) clearInterval(this.idleTimer)
    this.idleTimer = undefined
    if (!this.dek) return
    this.dek.fill(0)
    this.dek = undefined
    for (const l of this.lockListeners) {
      try {
        l(reason)
      } catch {
        // a listener's failure must not keep the vault from locking or the others from hearing of it
      }
    }
  }

  /** Called after every write of the vault file (a key set or removed, a passphrase changed), while unlocked. */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener)
    return () => this.changeListeners.delete(listener)
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
    if (this.dek) this.startIdleTimer()
  }

  /** Marks operator activity (resets the idle timer). */
  touch(): void {
    if (this.dek) this.lastActive = this.now()
  }

  /** Locks if idle for idleLockMs or longer (the timer calls this every 10 s; tests call it directly). */
  checkIdle(): void {
    const idle = this.options.idleLockMs
    if (this.dek && idle !== undefined && idle > 0 && this.now() - this.lastActive >= idle) this.lock('idle')
  }

  /**
   * Re-wraps the data key under a new passphrase (new salt, current KDF cost); no entry is touched. One atomic
   * rename: after a crash either the old or the new passphrase works, never neither.
   */
  async changePassphrase(oldPassphrase: string, newPassphrase: string): Promise<void> {
    checkNewPassphrase(newPassphrase)
    return this.serial(async () => {
      const dek = await this.unwrapWithPassphrase(this.requireFile(), oldPassphrase)
      try {
        const kdf: ScryptParams = { name: 'scrypt', ...this.cost, salt: randomBase64(16) }
        const kek = await deriveKek(newPassphrase, kdf)
        // Built from the file as it is now (a key may have been set while scrypt ran); the data key is unchanged.
        const file = this.requireFile()
        const next: VaultFileV1 = {
          ...file,
          kdf,
          wrappedDek: seal(kek, dek, wrapAad({ vaultId: file.vaultId, kdf })),
        }
        kek.fill(0)
        this.persist(next, dek)
      } finally {
        dek.fill(0)
      }
    })
  }

  /**
   * Re-encrypts every entry under a fresh data key (after a suspected compromise), in one atomic write. The device
   * wrap is renewed when the keystore is still the same, else dropped. The vault stays locked if it was locked.
   */
  async rotateDataKey(passphrase: string): Promise<void> {
    return this.serial(async () => {
      const oldDek = await this.unwrapWithPassphrase(this.requireFile(), passphrase)
      const newDek = randomBytes(32)
      try {
        const kdf: ScryptParams = { name: 'scrypt', ...this.cost, salt: randomBase64(16) }
        const kek = await deriveKek(passphrase, kdf)
        // Everything below is synchronous, so no other change can slip in between reading and writing.
        const file = this.requireFile()
        this.verifyWhole(file, oldDek)
        const entries = file.entries.map((e) => {
          const plain = openEntry(oldDek, file.vaultId, e.scope, e.entryId, e.sealed)
          try {
            return { ...e, sealed: sealEntry(newDek, file.vaultId, e.scope, e.entryId, plain) }
          } finally {
            plain.fill(0)
          }
        })
        const next: VaultFileV1 = {
          ...file,
          kdf,
          entries,
          wrappedDek: seal(kek, newDek, wrapAad({ vaultId: file.vaultId, kdf })),
          deviceUnlock: this.rewrapForDevice(file, newDek),
        }
        kek.fill(0)
        this.persist(next, newDek)
      } catch (err) {
        newDek.fill(0)
        throw err
      } finally {
        oldDek.fill(0)
      }
      if (this.dek) this.setDek(newDek)
      else newDek.fill(0)
    })
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
    return file.entries.map((e) => this.info(e.scope, this.openPlain(dek, file, e)))
  }

  /** Whether a key is stored for the scope (the scopes are not secret: they are in the file in clear). */
  hasKey(scope: { tenantId: string } | 'platform'): boolean {
    const file = this.requireFile()
    const s = scope === 'platform' ? 'platform' : `tenant:${scope.tenantId}`
    return file.entries.some((e) => e.scope === s)
  }

  /**
   * For the solver, inside the main process only. The tenant's key mode decides: 'own' uses the tenant's key and
   * never silently falls back to the platform key; 'shared' uses the platform key.
   * `touch: false` for reads that are not operator activity (scheduled checks), so they do not hold auto-lock off.
   */
  readKeyForSolve(
    tenantId: string,
    keyMode: 'own' | 'shared',
    options: { touch?: boolean } = {},
  ): { key: string; fingerprint: string } {
    const dek = this.requireDek()
    const file = this.requireFile()
    if (keyMode !== 'own' && keyMode !== 'shared') throw new VaultError('Unknown key mode.')
    const scope = keyMode === 'own' ? `tenant:${checkTenantId(tenantId)}` : 'platform'
    const e = this.entryFor(file, scope)
    if (!e) {
      throw new NoKeyError(
        keyMode === 'own'
          ? 'This tenant uses its own upstream key, and none is set (tenant has no key of its own). Set it in the tenant’s key settings.'
          : 'No platform key is set. Add one in Settings.',
      )
    }
    const plain = this.openPlain(dek, file, e)
    if (options.touch !== false) this.touch()
    return { key: plain.key, fingerprint: keyFingerprint(plain.key) }
  }

  /** The platform key (shared mode), for the main process only: balance checks and the Sandbox's thread count. */
  readPlatformKey(options: { touch?: boolean } = {}): { key: string; fingerprint: string } {
    return this.readKeyForSolve('-', 'shared', options)
  }

  /** What logging or serializing the vault object shows: its state, never key material. */
  toJSON(): { path: string; exists: boolean; unlocked: boolean } {
    return { path: this.path, exists: this.exists(), unlocked: this.isUnlocked() }
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `KeyVault ${JSON.stringify(this.toJSON())}`
  }

  /** The entry for a scope, through an index rebuilt whenever the file object changes (one lookup per solve). */
  private entryFor(file: VaultFileV1, scope: string): VaultEntryRecord | undefined {
    if (this.index?.file !== file)
      this.index = { file, byScope: new Map(file.entries.map((e) => [e.scope, e])) }
    return this.index.byScope.get(scope)
  }

  private setEntry(scope: string, rawKey: string, rawLabel: string): VaultEntryInfo {
    const key = checkUpstreamKey(rawKey)
    const label = checkLabel(rawLabel)
    const dek = this.requireDek()
    const file = this.requireFile()
    const at = new Date(this.now()).toISOString()
    const existing = file.entries.find((e) => e.scope === scope)
    const createdAt = existing ? this.openPlain(dek, file, existing).createdAt : at
    const plain: EntryPlain = { key, label, last4: key.slice(-4), createdAt, updatedAt: at }
    const entryId = randomUUID()
    const bytes = Buffer.from(JSON.stringify(plain), 'utf8')
    let sealed: VaultEntryRecord['sealed']
    try {
      sealed = sealEntry(dek, file.vaultId, scope, entryId, bytes)
    } finally {
      bytes.fill(0)
    }
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

  private openPlain(dek: Buffer, file: VaultFileV1, e: VaultEntryRecord): EntryPlain {
    let bytes: Buffer | undefined
    try {
      bytes = openEntry(dek, file.vaultId, e.scope, e.entryId, e.sealed)
      const p = JSON.parse(bytes.toString('utf8')) as Partial<EntryPlain>
      if (
        typeof p.key !== 'string' ||
        !KEY_FORMAT.test(p.key) ||
        typeof p.label !== 'string' ||
        typeof p.last4 !== 'string' ||
        typeof p.createdAt !== 'string' ||
        typeof p.updatedAt !== 'string'
      )
        throw new Error('shape')
      return { key: p.key, label: p.label, last4: p.last4, createdAt: p.createdAt, updatedAt: p.updatedAt }
    } catch {
      throw new VaultDamagedError(
        `an entry does not open where it is (${e.scope === 'platform' ? 'platform' : 'tenant'} entry)`,
      )
    } finally {
      bytes?.fill(0)
    }
  }

  private info(scope: string, p: EntryPlain): VaultEntryInfo {
    const isPlatform = scope === 'platform'
    return {
      scope: isPlatform ? 'platform' : 'tenant',
      tenantId: isPlatform ? null : scope.slice('tenant:'.length),
      label: p.label,
      last4: p.last4,
      fingerprint: keyFingerprint(p.key),
      createdAt: p.createdAt,
      updatedAt: p.updatedAt,
    }
  }

  /** Checks the file's HMAC and that every entry opens where it sits. Does not zero `dek`. */
  private verifyWhole(file: VaultFileV1, dek: Buffer): void {
    if (!this.macMatches(file, dek)) throw new VaultDamagedError('its integrity check failed')
    this.verifyEntries(file, dek)
  }

  private macMatches(file: VaultFileV1, dek: Buffer): boolean {
    const expected = withSubkey(dek, file.vaultId, MAC_KEY_INFO, (k) => mac(k, macInput(file)))
    return sameMac(expected, file.mac)
  }

  private verifyEntries(file: VaultFileV1, dek: Buffer): void {
    const scopes = new Set<string>()
    const ids = new Set<string>()
    for (const e of file.entries) {
      if (scopes.has(e.scope)) throw new VaultDamagedError('two entries for one owner')
      if (ids.has(e.entryId)) throw new VaultDamagedError('two entries with one id')
      scopes.add(e.scope)
      ids.add(e.entryId)
      this.openPlain(dek, file, e)
    }
  }

  /**
   * Derives the KEK, unwraps the data key and verifies the whole file with it. Wrong passphrases are counted and
   * delayed (0, 0, 1, 2, 4 … 60 s); the vault file itself is never written because of a failure.
   */
  private async unwrapWithPassphrase(file: VaultFileV1, passphrase: unknown): Promise<Buffer> {
    const wait = this.local.blockedUntil - this.now()
    if (wait > 0) throw new VaultThrottledError(wait)
    if (
      typeof passphrase !== 'string' ||
      passphrase.length === 0 ||
      passphrase.length > PASSPHRASE_MAX_LENGTH
    )
      throw this.miss()
    let kek: Buffer
    try {
      kek = await deriveKek(passphrase, file.kdf)
    } catch {
      throw new VaultDamagedError('its key derivation failed')
    }
    let dek: Buffer
    try {
      dek = open(kek, file.wrappedDek, wrapAad(file))
    } catch {
      throw this.miss()
    } finally {
      kek.fill(0)
    }
    if (dek.length !== 32) {
      dek.fill(0)
      throw new VaultDamagedError('the data key has the wrong length')
    }
    if (this.local.failures > 0 || this.local.blockedUntil > 0)
      this.saveLocal({ failures: 0, blockedUntil: 0 })
    try {
      this.verifyWhole(file, dek)
    } catch (err) {
      dek.fill(0)
      throw err
    }
    return dek
  }

  private miss(): WrongPassphraseError {
    const failures = this.local.failures + 1
    // Growing delays: none for the first two misses, then 1 s, 2 s, 4 s … up to a minute.
    const blockedUntil =
      failures >= 3 ? this.now() + Math.min(MAX_DELAY_MS, 1_000 * 2 ** Math.min(failures - 3, 16)) : 0
    try {
      this.saveLocal({ failures, blockedUntil })
    } catch {
      // the delay still holds in memory for this process
    }
    return new WrongPassphraseError()
  }

  private saveLocal(patch: Partial<LocalVaultState>): void {
    this.local = { ...this.local, ...patch }
    writeLocalState(this.path, this.local)
  }

  private rewrapForDevice(file: VaultFileV1, newDek: Buffer): VaultFileV1['deviceUnlock'] {
    const d = this.options.device
    const du = file.deviceUnlock
    if (!du || this.local.deviceRevoked || !d || !d.isAvailable() || d.backend() !== du.backend) return null
    if (du.backend === 'basic_text') return null
    try {
      return { backend: du.backend, wrappedDek: d.protect(newDek).toString('base64') }
    } catch {
      return null
    }
  }

  private persist(next: VaultFileV1, dek: Buffer): void {
    const stamped: VaultFileV1 = { ...next, updatedAt: new Date(this.now()).toISOString(), mac: '' }
    stamped.mac = withSubkey(dek, stamped.vaultId, MAC_KEY_INFO, (k) => mac(k, macInput(stamped)))
    writeVaultFileAtomic(this.path, stamped, this.options.hooks)
    this.file = stamped
    for (const l of this.changeListeners) {
      try {
        l()
      } catch {
        // a listener's failure must not undo a write that is already on disk
      }
    }
  }

  private setDek(dek: Buffer): void {
    if (this.dek && this.dek !== dek) this.dek.fill(0)
    this.dek = dek
    this.lastActive = this.now()
    this.startIdleTimer()
  }

  private startIdleTimer(): void {
    const idle = this.options.idleLockMs
    if (idle !== undefined && idle > 0 && !this.idleTimer) {
      this.idleTimer = setInterval(() => this.checkIdle(), Math.min(IDLE_CHECK_MS, idle))
      this.idleTimer.unref?.()
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => undefined)
    return run
  }

  private requireFile(): VaultFileV1 {
    if (!this.file) throw new VaultError('No vault exists yet. Create one with a passphrase first.')
    return this.file
  }

  private requireDek(): Buffer {
    if (!this.dek) throw new VaultLockedError()
    return this.dek
  }
}
