/**
 * The encrypted key vault. A random data key (DEK) encrypts every secret; the passphrase (scrypt) only wraps the DEK.
 * Each secret is sealed with AES-256-GCM under a per-scope subkey (HKDF of the DEK), with authenticated data that binds
 * it to its scope and entry, and an HMAC over the whole file detects any other change; a generation counter anchored
 * outside the file refuses an older copy. Key material lives in Buffers that are zeroed on lock; nothing but masked
 * descriptions ever leaves this module, except through readKeyForSolve / readPlatformKey (main process only).
 *
 * This class holds the state and the order of steps; each job lives in its own module: entries.ts (entry rules,
 * sealing, describing), passphrase-unlock.ts (passphrase and throttle), device-unlock.ts (OS keystore),
 * idle-lock.ts (auto-lock), file-integrity.ts (HMAC and stamped writes), rollback-anchor.ts (outside anchors).
 */
import { newPassphraseProblem } from '@shared/passphrase'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import type { DeviceKeyProtector } from './device-protector'
import { rewrapForDevice, unwrapWithDevice, wrapForDevice } from './device-unlock'
import { entryInfo, openPlain, tenantScope, withEntry, type VaultEntryInfo } from './entries'
import { NoKeyError, VaultError, VaultExistsError, VaultLockedError, WeakKdfError } from './errors'
import { verifyWhole, writeStamped } from './file-integrity'
import { IdleLock } from './idle-lock'
import { unwrapWithPassphrase, type ThrottleState } from './passphrase-unlock'
import { AnchorSet, type VaultAnchor } from './rollback-anchor'
import {
  deriveKek,
  keyFingerprint,
  MINIMUM_KDF,
  openEntry,
  RECOMMENDED_KDF,
  randomBase64,
  seal,
  sealEntry,
  wrapAad,
  type KdfCost,
  type ScryptParams,
} from './vault-crypto'
import {
  discardStaleTemp,
  readLocalState,
  readVaultFile,
  writeLocalState,
  type LocalVaultState,
  type VaultEntryRecord,
  type VaultFileV1,
  type WriteHooks,
} from './vault-file'

export type { VaultEntryInfo } from './entries'

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
  /** Where the last generation written is remembered outside vault.json (engine database, OS keystore). */
  anchors?: readonly VaultAnchor[]
}

/** The floor when a test switches the minimum off: scrypt's own limits. */
const TEST_FLOOR_KDF: KdfCost = { N: 2, r: 1, p: 1 }

function checkNewPassphrase(p: unknown): string {
  const problem = newPassphraseProblem(p)
  if (problem) throw new VaultError(problem)
  return p as string
}

function belowMinimum(k: KdfCost, min: KdfCost): boolean {
  return k.N < min.N || k.r < min.r || k.p < min.p
}

export class KeyVault {
  private file: VaultFileV1 | undefined
  private dek: Buffer | undefined
  private local: LocalVaultState = { failures: 0, blockedUntil: 0, deviceRevoked: false }
  private index: { file: VaultFileV1; byScope: Map<string, VaultEntryRecord> } | undefined
  /** Counts lock() calls, so an unlock that was still deriving its key when the vault was locked does not win. */
  private lockEpoch = 0
  /** Passphrase work runs one at a time, so parallel guesses cannot slip past the throttle. */
  private queue: Promise<unknown> = Promise.resolve()
  private readonly lockListeners = new Set<(reason: string) => void>()
  private readonly changeListeners = new Set<() => void>()
  private readonly now: () => number
  private readonly minimum: KdfCost
  private readonly cost: KdfCost
  private readonly idle: IdleLock
  private readonly anchors: AnchorSet
  private readonly throttle: ThrottleState

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
    this.idle = new IdleLock(this.now, options.idleLockMs, () => this.lock('idle'))
    this.anchors = new AnchorSet(options.anchors ?? [])
    const local = (): LocalVaultState => this.local
    this.throttle = {
      get failures() {
        return local().failures
      },
      get blockedUntil() {
        return local().blockedUntil
      },
      save: (patch) => this.saveLocal(patch),
    }
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
        generation: 0,
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

  /**
   * Unlocks with the passphrase. Throws WrongPassphraseError, VaultThrottledError, VaultDamagedError (also for an
   * edited header) or VaultRollbackError (an older copy of the file).
   */
  async unlock(passphrase: string): Promise<void> {
    const epoch = this.lockEpoch
    return this.serial(async () => {
      const file = this.requireFile()
      const dek = await this.passphraseDek(file, passphrase)
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
    const dek = unwrapWithDevice(file, this.options.device, this.local.deviceRevoked, () =>
      this.saveLocal({ deviceRevoked: true }),
    )
    this.acceptFresh(file, dek)
    this.setDek(dek)
  }

  /** Also wraps the data key with the OS keystore. Refused on Linux's basic_text backend (no protection). */
  enableDeviceUnlock(): void {
    const dek = this.requireDek()
    const deviceUnlock = wrapForDevice(this.options.device, dek)
    this.persist({ ...this.requireFile(), deviceUnlock }, dek)
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
    this.idle.stop()
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
    this.idle.set(ms, this.dek !== undefined)
  }

  /** Marks operator activity (resets the idle timer). */
  touch(): void {
    if (this.dek) this.idle.touch()
  }

  /** Locks if idle for idleLockMs or longer (the timer calls this every 10 s; tests call it directly). */
  checkIdle(): void {
    if (this.dek) this.idle.check()
  }

  /**
   * Re-wraps the data key under a new passphrase (new salt, current KDF cost); no entry is touched. One atomic
   * rename: after a crash either the old or the new passphrase works, never neither.
   */
  async changePassphrase(oldPassphrase: string, newPassphrase: string): Promise<void> {
    checkNewPassphrase(newPassphrase)
    return this.serial(async () => {
      const dek = await this.passphraseDek(this.requireFile(), oldPassphrase)
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
      const oldDek = await this.passphraseDek(this.requireFile(), passphrase)
      const newDek = randomBytes(32)
      try {
        const kdf: ScryptParams = { name: 'scrypt', ...this.cost, salt: randomBase64(16) }
        const kek = await deriveKek(passphrase, kdf)
        // Everything below is synchronous, so no other change can slip in between reading and writing.
        const file = this.requireFile()
        verifyWhole(file, oldDek)
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
          deviceUnlock: rewrapForDevice(file, this.options.device, this.local.deviceRevoked, newDek),
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
    return this.setEntry(tenantScope(tenantId), key, label)
  }

  removePlatformKey(): boolean {
    return this.removeEntry('platform')
  }

  removeTenantKey(tenantId: string): boolean {
    return this.removeEntry(tenantScope(tenantId))
  }

  /** Masked descriptions only: label, last 4, fingerprint, dates. */
  describe(): VaultEntryInfo[] {
    const dek = this.requireDek()
    const file = this.requireFile()
    return file.entries.map((e) => entryInfo(e.scope, openPlain(dek, file, e)))
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
    const scope = keyMode === 'own' ? tenantScope(tenantId) : 'platform'
    const e = this.entryFor(file, scope)
    if (!e) {
      throw new NoKeyError(
        keyMode === 'own'
          ? 'This tenant uses its own upstream key, and none is set (tenant has no key of its own). Set it in the tenant’s key settings.'
          : 'No platform key is set. Add one in Settings.',
      )
    }
    const plain = openPlain(dek, file, e)
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

  private setEntry(scope: string, key: string, label: string): VaultEntryInfo {
    const dek = this.requireDek()
    const file = this.requireFile()
    const at = new Date(this.now()).toISOString()
    const { entries, info } = withEntry(dek, file, scope, { key, label, at })
    this.persist({ ...file, entries }, dek)
    this.touch()
    return info
  }

  private removeEntry(scope: string): boolean {
    const dek = this.requireDek()
    const file = this.requireFile()
    if (!file.entries.some((e) => e.scope === scope)) return false
    this.persist({ ...file, entries: file.entries.filter((e) => e.scope !== scope) }, dek)
    this.touch()
    return true
  }

  /** The data key by passphrase: throttled, header-checked, whole file verified, not older than the anchors. */
  private async passphraseDek(file: VaultFileV1, passphrase: unknown): Promise<Buffer> {
    const dek = await unwrapWithPassphrase(file, passphrase, {
      state: this.throttle,
      now: this.now,
      headerChanged: (f) => this.anchors.headerChanged(f),
    })
    this.acceptFresh(file, dek)
    return dek
  }

  /** Refuses a verified file older than the anchors (zeroing `dek`); otherwise brings the anchors up to it. */
  private acceptFresh(file: VaultFileV1, dek: Buffer): void {
    try {
      this.anchors.checkFresh(file)
    } catch (err) {
      dek.fill(0)
      throw err
    }
    this.anchors.record(file)
  }

  private saveLocal(patch: Partial<LocalVaultState>): void {
    this.local = { ...this.local, ...patch }
    writeLocalState(this.path, this.local)
  }

  private persist(next: VaultFileV1, dek: Buffer): void {
    this.file = writeStamped(this.path, next, dek, new Date(this.now()).toISOString(), this.options.hooks)
    this.anchors.record(this.file)
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
    this.idle.start()
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
