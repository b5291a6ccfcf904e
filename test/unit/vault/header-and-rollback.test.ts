/**
 * Rollback and header edits, with the generation anchored outside vault.json (engine database, OS keystore):
 * an older valid copy of the file is refused; an edited header (checksum recomputed) is damage, not a wrong
 * passphrase, and never counts toward the unlock throttle.
 */
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dispatch } from '../../../electron/engine/app/dispatch'
import { createEngine } from '../../../electron/engine/app/engine'
import { createGatewayController } from '../../../electron/engine/app/gateway-controller'
import { createHandlers } from '../../../electron/engine/app/handlers'
import { openDatabase, type Database } from '../../../electron/engine/db/database'
import {
  KeyVault,
  VaultDamagedError,
  VaultRollbackError,
  WrongPassphraseError,
  type VaultOptions,
} from '../../../electron/engine/vault'
import { databaseVaultAnchor } from '../../../electron/engine/vault/db-anchor'
import { keystoreVaultAnchor } from '../../../electron/engine/vault/keystore-anchor'
import type { VaultAnchor } from '../../../electron/engine/vault/rollback-anchor'
import { readLocalState } from '../../../electron/engine/vault/vault-file'
import {
  caught,
  createVault,
  FAST,
  fakeDevice,
  PASS,
  PLATFORM,
  readFile,
  tempVault,
  TENANT_A,
  writeWithChecksum,
  type TempVault,
} from './helpers'

let t: TempVault
let db: Database
const device = fakeDevice('gnome_libsecret').protector
beforeEach(() => {
  t = tempVault()
  db = openDatabase(join(t.dir, 'engine.db'))
})
afterEach(() => {
  db.close()
  t.cleanup()
})

const both = (): VaultAnchor[] => [databaseVaultAnchor(db), keystoreVaultAnchor(t.path, device)!]
const opts = (anchors: VaultAnchor[]): VaultOptions => ({ ...FAST, device, anchors })
const failures = () => readLocalState(t.path).failures

/** A vault with history: the old copy still has the platform key and the old state; the current one removed it. */
async function withOldCopy(anchors: VaultAnchor[]): Promise<{ old: string; current: string }> {
  const v = await createVault(t.path, PASS, opts(anchors))
  v.setPlatformKey(PLATFORM, 'Main plan')
  const old = readFileSync(t.path, 'latin1')
  v.setTenantKey('t_a', TENANT_A)
  v.removePlatformKey()
  v.lock()
  return { old, current: readFileSync(t.path, 'latin1') }
}

describe('vault rollback', () => {
  it('an older valid copy put back is refused (clear error, no throttle), and the newest opens again', async () => {
    const { old, current } = await withOldCopy(both())
    writeFileSync(t.path, old, 'latin1')
    const v = KeyVault.open(t.path, opts(both()))
    const err = await caught(v.unlock(PASS))
    expect(err).toBeInstanceOf(VaultRollbackError)
    expect((err as Error).message).toMatch(/older than the one CaptchaDesk last wrote/)
    expect(v.isUnlocked()).toBe(false)
    expect(failures()).toBe(0)
    expect(readFileSync(t.path, 'latin1')).toBe(old) // left as it is
    writeFileSync(t.path, current, 'latin1')
    const back = KeyVault.open(t.path, opts(both()))
    await back.unlock(PASS)
    expect(back.hasKey('platform')).toBe(false)
  })

  it('each anchor alone is enough: the engine database, or the OS keystore', async () => {
    const { old } = await withOldCopy(both())
    writeFileSync(t.path, old, 'latin1')
    expect(await caught(KeyVault.open(t.path, opts([databaseVaultAnchor(db)])).unlock(PASS))).toBeInstanceOf(
      VaultRollbackError,
    )
    const keystore = keystoreVaultAnchor(t.path, device)!
    expect(await caught(KeyVault.open(t.path, opts([keystore])).unlock(PASS))).toBeInstanceOf(
      VaultRollbackError,
    )
    // An old copy of one anchor does not help either: the newest anchor wins.
    db.exec('UPDATE vault_anchor SET generation = 0')
    expect(await caught(KeyVault.open(t.path, opts(both())).unlock(PASS))).toBeInstanceOf(VaultRollbackError)
  })

  it('an older copy restored on purpose opens with the passphrase and becomes the newest', async () => {
    const { old, current } = await withOldCopy(both())
    const anchored = readFile(t.path).generation ?? 0
    writeFileSync(t.path, old, 'latin1')
    const wrong = KeyVault.open(t.path, opts(both()))
    expect(await caught(wrong.unlock('wrong passphrase 123', { acceptOlder: true }))).toBeInstanceOf(
      WrongPassphraseError,
    )
    expect(readFileSync(t.path, 'latin1')).toBe(old) // nothing written without the passphrase
    const v = KeyVault.open(t.path, opts(both()))
    const accepted = await v.unlock(PASS, { acceptOlder: true })
    expect(accepted).toEqual({ fileGeneration: expect.any(Number), anchoredGeneration: anchored })
    expect(accepted!.fileGeneration).toBeLessThan(anchored)
    expect(v.isUnlocked()).toBe(true)
    expect(v.hasKey('platform')).toBe(true) // what the backup held
    expect(readFile(t.path).generation).toBe(anchored + 1) // written again above everything anchored
    expect(databaseVaultAnchor(db).read()?.generation).toBe(anchored + 1)
    v.lock()
    // It is the reference now: it opens normally, and the copy it replaced is the one refused.
    const again = KeyVault.open(t.path, opts(both()))
    expect(await again.unlock(PASS)).toBeNull()
    again.lock()
    writeFileSync(t.path, current, 'latin1')
    expect(await caught(KeyVault.open(t.path, opts(both())).unlock(PASS))).toBeInstanceOf(VaultRollbackError)
  })

  it('a backup from before a passphrase change: a wrong passphrase is a counted miss; the old one opens it', async () => {
    const v = await createVault(t.path, PASS, opts(both()))
    v.setPlatformKey(PLATFORM)
    const old = readFileSync(t.path, 'latin1')
    const NEW = 'the newer passphrase 42'
    await v.changePassphrase(PASS, NEW)
    v.lock()
    const anchored = readFile(t.path).generation ?? 0
    writeFileSync(t.path, old, 'latin1')
    const r = KeyVault.open(t.path, opts(both()))
    // Its header predates the change: not damage, and guesses count toward the throttle.
    expect(await caught(r.unlock(NEW, { acceptOlder: true }))).toBeInstanceOf(WrongPassphraseError)
    expect(failures()).toBe(1)
    expect(await caught(r.unlock(PASS))).toBeInstanceOf(VaultRollbackError)
    expect(await r.unlock(PASS, { acceptOlder: true })).toMatchObject({ anchoredGeneration: anchored })
    expect(r.hasKey('platform')).toBe(true)
    r.lock()
    // The reference now, header included: it opens normally with the passphrase it had.
    expect(await KeyVault.open(t.path, opts(both())).unlock(PASS)).toBeNull()
  })

  it('accepting an older copy never accepts a different vault', async () => {
    await createVault(t.path, PASS, opts(both()))
    const other = tempVault()
    try {
      await createVault(other.path, PASS, FAST) // same passphrase, another vault id
      copyFileSync(other.path, t.path)
      const err = await caught(KeyVault.open(t.path, opts(both())).unlock(PASS, { acceptOlder: true }))
      expect(err).toBeInstanceOf(VaultDamagedError)
    } finally {
      other.cleanup()
    }
  })

  it('device unlock refuses an older copy too', async () => {
    const v = await createVault(t.path, PASS, opts(both()))
    v.enableDeviceUnlock()
    const old = readFileSync(t.path, 'latin1')
    v.setPlatformKey(PLATFORM)
    v.lock()
    writeFileSync(t.path, old, 'latin1')
    expect(await caught(KeyVault.open(t.path, opts(both())).unlockWithDevice())).toBeInstanceOf(
      VaultRollbackError,
    )
  })

  it('a vault from before the anchors gets one at its first unlock (trust on first use)', async () => {
    const { old } = await withOldCopy([])
    writeFileSync(t.path, old, 'latin1')
    const v = KeyVault.open(t.path, opts(both()))
    await v.unlock(PASS) // nothing to compare with yet
    expect(databaseVaultAnchor(db).read()?.generation).toBe(readFile(t.path).generation)
  })

  it('through the console: refused with an error the operator can read, and an audit entry', async () => {
    const first = await createEngine({ dataDir: t.dir, embeddedSandbox: false, weakKdfForTests: true })
    try {
      await first.vault.create(PASS)
      first.vault.setPlatformKey(PLATFORM)
      copyFileSync(first.paths.vault, `${first.paths.vault}.old`)
      first.vault.removePlatformKey()
    } finally {
      await first.close()
    }
    // The old copy is put back; the app starts again.
    copyFileSync(`${t.path}.old`, t.path)
    rmSync(`${t.path}.old`)
    const engine = await createEngine({ dataDir: t.dir, embeddedSandbox: false, weakKdfForTests: true })
    try {
      const handlers = createHandlers({
        engine,
        gateway: createGatewayController(engine),
        version: 't',
        exportTarget: async () => null,
      })
      const r = await dispatch(handlers, 'vault.unlock', { passphrase: PASS }, engine.log)
      expect(r).toMatchObject({ ok: false, error: { code: 'VAULT_ROLLBACK' } })
      expect(r.ok ? '' : r.error.message).toMatch(/old copy/)
      expect(r.ok ? '' : r.error.message).toMatch(/Open this older copy/)
      expect(engine.audit.list().find((e) => e.action === 'vault.unlockFailed')?.details).toMatchObject({
        reason: expect.stringMatching(/rollback refused/),
        anchoredGeneration: expect.any(Number),
      })
      // The operator restored it on purpose: opened, with its (older) keys, and an audit entry that says so.
      const wrong = await dispatch(
        handlers,
        'vault.unlock',
        { passphrase: 'not the passphrase', acceptOlderVault: true },
        engine.log,
      )
      expect(wrong).toMatchObject({ ok: false, error: { code: 'WRONG_PASSPHRASE' } })
      const opened = await dispatch(
        handlers,
        'vault.unlock',
        { passphrase: PASS, acceptOlderVault: true },
        engine.log,
      )
      expect(opened.ok ? 'ok' : opened.error).toBe('ok')
      expect(engine.vault.hasKey('platform')).toBe(true)
      expect(engine.audit.list().find((e) => e.action === 'vault.acceptOlder')?.details).toMatchObject({
        fileGeneration: expect.any(Number),
        anchoredGeneration: expect.any(Number),
      })
    } finally {
      await engine.close()
    }
  })
})

describe('edited header (checksum recomputed)', () => {
  const edits = (f: ReturnType<typeof readFile>) => [
    { what: 'salt', file: { ...f, kdf: { ...f.kdf, salt: Buffer.alloc(16, 1).toString('base64') } } },
    { what: 'N', file: { ...f, kdf: { ...f.kdf, N: f.kdf.N * 2 } } },
    { what: 'r', file: { ...f, kdf: { ...f.kdf, r: f.kdf.r + 1 } } },
    { what: 'vault id', file: { ...f, vaultId: 'f'.repeat(32) } },
  ]

  it('is reported as damage, not a wrong passphrase, and never throttles the unlock', async () => {
    const v = await createVault(t.path, PASS, opts(both()))
    v.setPlatformKey(PLATFORM)
    v.lock()
    const genuine = readFile(t.path)
    for (const e of edits(genuine)) {
      writeWithChecksum(t.path, e.file)
      for (let i = 0; i < 5; i++) {
        const err = await caught(KeyVault.open(t.path, opts(both())).unlock(PASS))
        expect(err, e.what).toBeInstanceOf(VaultDamagedError)
        expect(err, e.what).not.toBeInstanceOf(WrongPassphraseError)
      }
      expect(failures(), e.what).toBe(0)
    }
    writeWithChecksum(t.path, genuine)
    const back = KeyVault.open(t.path, opts(both()))
    expect(await caught(back.unlock('not the passphrase'))).toBeInstanceOf(WrongPassphraseError) // still counted
    expect(failures()).toBe(1)
    await back.unlock(PASS)
    expect(back.hasKey('platform')).toBe(true)
  })

  it('a legitimate header change (new passphrase) is recorded, so it is not mistaken for damage', async () => {
    const v = await createVault(t.path, PASS, opts(both()))
    await v.changePassphrase(PASS, 'another long passphrase')
    v.lock()
    const again = KeyVault.open(t.path, opts(both()))
    expect(await caught(again.unlock(PASS))).toBeInstanceOf(WrongPassphraseError)
    await again.unlock('another long passphrase')
  })
})
