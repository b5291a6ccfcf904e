import { inspect } from 'node:util'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { KeyVault, type VaultOptions } from '../../../electron/engine/vault'
import {
  allFilesText,
  FAST,
  fakeDevice,
  findLeaks,
  NEW_PASS,
  PASS,
  PLATFORM,
  readFile,
  tempVault,
  TENANT_A,
  TENANT_B,
  type TempVault,
} from './helpers'

let t: TempVault
beforeEach(() => {
  t = tempVault()
})
afterEach(() => {
  vi.restoreAllMocks()
  t.cleanup()
})

/**
 * Runs every public method through a recorder: each return value and each error (message, stack, inspect, JSON)
 * lands in `out`. readKeyForSolve is the one method that must hand out a key; its result is checked apart.
 */
function recorded(v: KeyVault, out: string[], solveKeys: string[]): KeyVault {
  const record = (x: unknown): void => {
    if (x instanceof Error) {
      out.push(x.message, String(x.stack), inspect(x, { depth: 5 }), JSON.stringify(x), String(x))
    } else {
      out.push(inspect(x, { depth: 10 }), JSON.stringify(x) ?? '')
    }
  }
  return new Proxy(v, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        try {
          const r = (value as (...a: unknown[]) => unknown).apply(target, args)
          if (r instanceof Promise) return r.then(record, (e: unknown) => (record(e), Promise.reject(e)))
          if (prop === 'readKeyForSolve') {
            const { key, ...rest } = r as { key: string }
            solveKeys.push(key)
            record(rest)
          } else record(r)
          return r
        } catch (e) {
          record(e)
          throw e
        }
      }
    },
  })
}

describe('no plaintext key or passphrase leaves the vault except through readKeyForSolve', () => {
  it('scans the files, every return value, every error and all console and stream output', async () => {
    const out: string[] = []
    const solveKeys: string[] = []
    const printed: string[] = []
    for (const m of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const)
      vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void printed.push(inspect(a)))
    vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
      printed.push(String(c))
      return true
    })
    vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
      printed.push(String(c))
      return true
    })
    const dev = fakeDevice('gnome_libsecret')
    let now = 0
    const opts: VaultOptions = { ...FAST, device: dev.protector, now: () => now }
    const attempt = async (f: () => unknown): Promise<void> => {
      try {
        await f()
      } catch {
        // recorded by the proxy
      }
    }

    const v = recorded(KeyVault.open(t.path, opts), out, solveKeys)
    await attempt(() => v.create('short one'))
    await v.create(PASS)
    v.setPlatformKey(PLATFORM, 'Main plan')
    v.setTenantKey('t_a', TENANT_A, 'Acme')
    v.setTenantKey('t_b', TENANT_B)
    await attempt(() => v.setTenantKey('t_c', `${TENANT_A}!`)) // a mistyped key is not echoed
    await attempt(() => v.setTenantKey('t_c', PASS))
    v.describe()
    v.readKeyForSolve('t_a', 'own')
    v.readKeyForSolve('t_b', 'shared')
    await attempt(() => v.readKeyForSolve('t_c', 'own'))
    v.enableDeviceUnlock()
    v.kdfParams()
    v.lock()
    await attempt(() => v.describe())
    await attempt(() => v.readKeyForSolve('t_a', 'own'))
    for (const wrong of [NEW_PASS, `${PASS}x`, TENANT_A, PLATFORM]) await attempt(() => v.unlock(wrong))
    await attempt(() => v.unlock(PASS)) // throttled
    now += 60_000
    await v.unlock(PASS)
    await attempt(() => v.changePassphrase(NEW_PASS, PASS))
    now += 60_000
    await v.changePassphrase(PASS, NEW_PASS)
    await v.rotateDataKey(NEW_PASS)
    dev.state.backend = 'kwallet5'
    const w = recorded(KeyVault.open(t.path, opts), out, solveKeys)
    await attempt(() => w.unlockWithDevice())
    await w.unlock(NEW_PASS)
    w.removeTenantKey('t_b')
    // A damaged file: the error names the damage, not the content.
    const f = readFile(t.path)
    const { writeFileSync } = await import('node:fs')
    writeFileSync(t.path, JSON.stringify(f).slice(0, 500))
    await attempt(() => recorded(KeyVault.open(t.path, opts), out, solveKeys))
    out.push(inspect(v), JSON.stringify(v), inspect(w, { showHidden: true, depth: 10 }))

    const dek = (w as unknown as { dek: Buffer }).dek
    const dekForms = [dek.toString('hex'), dek.toString('base64').slice(0, 20)]
    const everything = [out.join('\n'), printed.join('\n'), allFilesText(t.dir)].join('\n')
    expect(findLeaks(everything)).toEqual([])
    for (const form of dekForms) expect(everything).not.toContain(form)
    expect(out.length).toBeGreaterThan(40)
    expect(new Set(solveKeys)).toEqual(new Set([TENANT_A, PLATFORM]))
  })
})
