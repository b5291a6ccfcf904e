import { createVault } from '../../unit/vault/helpers'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { KeyVault, WrongPassphraseError } from '../../../electron/engine/vault'

const PASS = 'correct horse battery'
const NEW_PASS = 'a brand new passphrase'
const KEY_A = 'AAAAbbbbCCCCddddEEEEffffGGGGhhh1'
const KEY_P = 'P1a2b3c4d5e6f7g8h9i0j1k2l3m4n5o6'
const FAST = { kdf: { N: 2 ** 10, r: 8, p: 1 }, allowWeakKdfForTests: true }
const CHILD = join(import.meta.dirname, 'crash-child.ts')

let dir: string
let path: string
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vault-crash-'))
  path = join(dir, 'vault.json')
  const v = await createVault(path, PASS, FAST)
  v.setPlatformKey(KEY_P)
  v.setTenantKey('t_a', KEY_A)
  v.lock()
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** Which passphrases open the vault now; each one that does must also read every key. */
async function working(): Promise<string[]> {
  const ok: string[] = []
  for (const p of [PASS, NEW_PASS]) {
    const v = KeyVault.open(path, FAST)
    try {
      await v.unlock(p)
    } catch (err) {
      expect(err).toBeInstanceOf(WrongPassphraseError)
      continue
    }
    expect(v.readKeyForSolve('t_a', 'own').key).toBe(KEY_A)
    expect(v.readKeyForSolve('t_a', 'shared').key).toBe(KEY_P)
    ok.push(p)
  }
  return ok
}

describe('a real crash (SIGKILL) during a vault write leaves a working vault', () => {
  for (const op of ['change', 'rotate', 'set'] as const) {
    for (const point of ['afterTempWrite', 'beforeRename', 'afterRename'] as const) {
      it(`${op}, killed ${point}`, async () => {
        const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, path, point, op], {
          encoding: 'utf8',
          timeout: 30_000,
        })
        expect(r.signal, r.stderr).toBe('SIGKILL')
        const ok = await working()
        const landed = point === 'afterRename'
        if (op === 'change') expect(ok).toEqual([landed ? NEW_PASS : PASS])
        else expect(ok).toEqual([PASS])
        expect(existsSync(`${path}.tmp`)).toBe(false)
      })
    }
  }

  it('killed at random moments while passphrase changes and rotations run back to back', async () => {
    for (const [op, ms] of [
      ['change', 150],
      ['change', 400],
      ['rotate', 250],
      ['change', 900],
      ['rotate', 700],
    ] as const) {
      const [current] = await working()
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, 'loop', op, current!], {
        stdio: 'pipe',
      })
      const closed = new Promise((r) => child.once('close', r))
      let progress = 0
      child.stdout.on('data', (c: Buffer) => (progress += c.length))
      const stderr: string[] = []
      child.stderr.on('data', (c: Buffer) => stderr.push(c.toString()))
      // Wait until it has done some writes, then a little more, then pull the plug.
      const started = Date.now()
      while (progress < 2 && Date.now() - started < 20_000 && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 10))
      await new Promise((r) => setTimeout(r, ms))
      child.kill('SIGKILL')
      await closed
      expect(child.signalCode, stderr.join('')).toBe('SIGKILL')
      const ok = await working()
      expect(ok).toHaveLength(1) // exactly one of the two passphrases, never neither
      expect(progress).toBeGreaterThan(1)
    }
  })
})
