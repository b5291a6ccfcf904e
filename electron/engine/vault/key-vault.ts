/**
 * The encrypted key vault. A random data key (DEK) encrypts every secret; the passphrase (scrypt) only wraps the DEK.
 * Each secret is sealed with AES-256-GCM under a per-scope subkey (HKDF of the DEK), with authenticated data that binds
 * it to its scope and entry, and an HMAC over the whole file detects any other change; a generation counter anchored
 * outside the file refuses an older copy. Key material lives in Buffers that are zeroed on lock; nothing but masked
 * descriptions ever leaves this module, except through readKeyForSolve / readPlatformKey (main process only).
 *
 * This class holds the state and the order of steps; each job lives in its own module: entries.ts (entry rules,
 * sealing, describing, finding), data-key.ts (the passphrase wrap, a new vault's file), kdf-policy.ts (scrypt cost
 * and anti-downgrade), passphrase-unlock.ts (passphrase and throttle), device-unlock.ts (OS keystore), idle-lock.ts
 * (auto-lock), listeners.ts (lock and change events), file-integrity.ts (HMAC and stamped writes),
 * rollback-anchor.ts (outside anchors).
 */
import { newPassphraseProblem } from '@shared/passphrase'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { firstVaultFile, wrapDataKey } from './data-key'
import type { DeviceKeyProtector } from './device-protector'
import { deviceWrapStale, rewrapForDevice, unwrapWithDevice, wrapForDevice } from './device-unlock'
import {
  entryInfo,
  EntryIndex,
  noKeyError,
  openPlain,
  resealedEntries,
  solveScope,
  tenantScope,
  withEntry,
  type VaultEntryInfo,
} from './entries'
import { VaultError, VaultExistsError, VaultLockedError } from './errors'
import { verifyWhole, writeStamped } from './file-integrity'
import { IdleLock } from './idle-lock'
import { KdfPolicy } from './kdf-policy'
import { Listeners } from './listeners'
import { unwrapWithPassphrase, type ThrottleState } from './passphrase-unlock'
import { AnchorSet, VaultRollbackError, type VaultAnchor } from './rollback-anchor'
import { keyFingerprint, zeroOnFailure, type KdfCost, type ScryptParams } from './vault-crypto'
import {
  discardStaleTemp,
  readLocalState,
  readVaultFile,
  writeLocalState,
  type LocalVaultState,
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

function checkNewPassphrase(p: unknown): string {
  const problem = newPassphraseProblem(p)
  if (problem) throw new VaultError(problem)
  return p as string
}

export class KeyVault {
  private file: VaultFileV1 | undefined
  private dek: Buffer | undefined
  private local: LocalVaultState = { failures: 0, blockedUntil: 0, deviceRevoked: false }
  private readonly index = new EntryIndex()
  /** Counts lock() calls, so an unlock that was still deriving its key when the vault was locked does not win. */
  private lockEpoch = 0
  /** Passphrase work runs one at a time, so parallel guesses cannot slip past the throttle. */
  private queue: Promise<unknown> = Promise.resolve()
  private readonly lockListeners = new Listeners<[reason: string]>()
  private readonly changeListeners = new Listeners<[]>()
  private readonly now: () => number
  private readonly kdf: KdfPolicy
  private readonly idle: IdleLock
  private readonly anchors: AnchorSet
  private readonly throttle: ThrottleState

  private constructor(
    readonly path: string,
    private readonly options: VaultOptions,
  ) {
    this.now = options.now ?? Date.now
    this.kdf = new KdfPolicy(options)
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
    if (existsSync(path)) v.file = v.kdf.checkedHeader(readVaultFile(path))
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

  async create(passphrase: string): Promise<void> {
    return this.serial(async () => {
      if (this.file || existsSync(this.path)) throw new VaultExistsError()
      checkNewPassphrase(passphrase)
      const at = new Date(this.now()).toISOString()
      const dek = randomBytes(32)
      const vaultId = randomBytes(16).toString('hex')
      const wrap = await wrapDataKey(passphrase, this.kdf.freshParams(), dek, vaultId)
      if (this.file || existsSync(this.path)) {
        dek.fill(0)
        throw new VaultExistsError()
      }
      zeroOnFailure(dek, () => this.persist(firstVaultFile(vaultId, wrap, at), dek))
      this.setDek(dek)
    })
  }

  /**
   * Unlocks with the passphrase. Throws WrongPassphraseError, VaultThrottledError, VaultDamagedError (also for an
   * edited header) or VaultRollbackError (an older copy of the file).
   *
   * `acceptOlder`: the operator restored this older copy on purpose (a backup). With the right passphrase (the whole
   * file verified by it) the copy is opened and written again as the newest, so the copy it replaced is the one
   * refused from now on. A different vault (another vault id) is still refused. Returns the generations when it
   * did so (for the audit log), else null.
   */
  async unlock(
    passphrase: string,
    options: { acceptOlder?: boolean } = {},
  ): Promise<{ fileGeneration: number; anchoredGeneration: number } | null> {
    const epoch = this.lockEpoch
    return this.serial(async () => {
      const file = this.requireFile()
      const older: { accepted: VaultRollbackError | null } = { accepted: null }
      const dek = await this.passphraseDek(file, passphrase, (err) => {
        if (options.acceptOlder) older.accepted = err
        return options.acceptOlder === true
      })
      if (this.lockEpoch !== epoch) {
        // Locked (suspend, screen lock) while the key was being derived: the lock wins.
        dek.fill(0)
        throw new VaultLockedError()
      }
      const accepted = older.accepted
      if (accepted) {
        // Written again above the newest generation anchored: this copy is now the reference.
        zeroOnFailure(dek, () => this.persist({ ...file, generation: accepted.anchoredGeneration }, dek))
      }
      if (deviceWrapStale(file, this.options.device, this.local.deviceRevoked)) {
        // The keystore backend changed: the device wrap is worthless now; drop it from the file (as it is now).
        this.persist({ ...this.requireFile(), deviceUnlock: null }, dek)
        this.saveLocal({ deviceRevoked: false })
      }
      this.setDek(dek)
      return accepted
        ? { fileGeneration: accepted.fileGeneration, anchoredGeneration: accepted.anchoredGeneration }
        : null
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
    this.lockListeners.emit(reason)
  }

  /** Called after every write of the vault file (a key set or removed, a passphrase changed), while unlocked. */
  onChange(listener: () => void): () => void {
    return this.changeListeners.add(listener)
  }

  onLock(listener: (reason: string) => void): () => void {
    return this.lockListeners.add(listener)
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
        const wrap = await wrapDataKey(newPassphrase, this.kdf.freshParams(), dek, this.requireFile().vaultId)
        // Built from the file as it is now (a key may have been set while scrypt ran); the data key is unchanged.
        this.persist({ ...this.requireFile(), ...wrap }, dek)
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
        const wrap = await wrapDataKey(passphrase, this.kdf.freshParams(), newDek, this.requireFile().vaultId)
        // Everything below is synchronous, so no other change can slip in between reading and writing.
        const file = this.requireFile()
        verifyWhole(file, oldDek)
        const next: VaultFileV1 = {
          ...file,
          ...wrap,
          entries: resealedEntries(file, oldDek, newDek),
          deviceUnlock: rewrapForDevice(file, this.options.device, this.local.deviceRevoked, newDek),
        }
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
   * For the solver, inside the main process only: the key of the tenant's key mode (entries.ts solveScope).
   * `touch: false` for reads that are not operator activity (scheduled checks), so they do not hold auto-lock off.
   */
  readKeyForSolve(
    tenantId: string,
    keyMode: 'own' | 'shared',
    options: { touch?: boolean } = {},
  ): { key: string; fingerprint: string } {
    const dek = this.requireDek()
    const file = this.requireFile()
    const e = this.index.find(file, solveScope(tenantId, keyMode))
    if (!e) throw noKeyError(keyMode)
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
  private async passphraseDek(
    file: VaultFileV1,
    passphrase: unknown,
    allowOlder?: (err: VaultRollbackError) => boolean,
  ): Promise<Buffer> {
    const dek = await unwrapWithPassphrase(file, passphrase, {
      state: this.throttle,
      now: this.now,
      headerChanged: (f) => this.anchors.headerChanged(f),
    })
    this.acceptFresh(file, dek, allowOlder)
    return dek
  }

  /**
   * Refuses a verified file older than the anchors (zeroing `dek`) unless `allowOlder` says it was restored on
   * purpose (the caller then writes it again as the newest); otherwise brings the anchors up to it.
   */
  private acceptFresh(
    file: VaultFileV1,
    dek: Buffer,
    allowOlder?: (err: VaultRollbackError) => boolean,
  ): void {
    try {
      this.anchors.checkFresh(file)
    } catch (err) {
      if (err instanceof VaultRollbackError && allowOlder?.(err)) return
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
    this.changeListeners.emit()
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
