/**
 * Vault costs with the real KDF parameters, beside baselines measured in the same run:
 * - unlock (scrypt N=2^17 default, N=2^15 minimum accepted) beside PBKDF2-SHA256 at 600,000 rounds (Bitwarden's default);
 * - passphrase change and data-key rotation with 1,000 tenant keys;
 * - the per-solve key read (HKDF + AES-256-GCM open) beside a plain Map lookup of a cached plaintext key.
 */
import { createVault } from '../unit/vault/helpers'
import { pbkdf2Sync } from 'node:crypto'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KeyVault, MINIMUM_KDF, RECOMMENDED_KDF } from '../../electron/engine/vault'
import { median, standaloneContext, type BenchContext } from './bench-kit'

const PASS = 'benchmark passphrase'
const NEW_PASS = 'another benchmark passphrase'
const key = (i: number): string => `K${String(i).padStart(31, '0')}`

async function timeIt(runs: number, fn: () => unknown): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await fn()
    times.push(performance.now() - t0)
  }
  return median(times)
}

export async function run(ctx: BenchContext): Promise<void> {
  const TENANTS = ctx.quick ? 50 : 1_000
  const RUNS = ctx.quick ? 1 : 3
  const reads = ctx.quick ? 2_000 : 20_000
  const dir = mkdtempSync(join(tmpdir(), 'vault-bench-'))
  try {
    const unlockRows = []
    for (const [name, kdf] of [
      ['scrypt (default)', RECOMMENDED_KDF],
      ['scrypt (minimum accepted on read)', MINIMUM_KDF],
    ] as const) {
      const path = join(dir, `${name.replace(/\W/g, '')}.json`)
      const v = await createVault(path, PASS, { kdf })
      v.setPlatformKey(key(0))
      const ms = await timeIt(RUNS, async () => {
        const w = KeyVault.open(path)
        await w.unlock(PASS)
        w.lock()
      })
      ctx.record(`unlock, ${name}`, ms, 'ms')
      unlockRows.push({
        kdf: name,
        params: `N=2^${Math.log2(kdf.N)}, r=${kdf.r}, p=${kdf.p}`,
        'memory per derivation': `${(128 * kdf.N * kdf.r) / 2 ** 20} MiB`,
        [`unlock ms (median of ${RUNS})`]: ms.toFixed(0),
      })
    }
    const pbkdf2 = await timeIt(RUNS, () => pbkdf2Sync(PASS, 'saltsaltsaltsalt', 600_000, 32, 'sha256'))
    ctx.record('baseline: PBKDF2-SHA256 600,000 iterations', pbkdf2, 'ms')
    unlockRows.push({
      kdf: 'baseline: PBKDF2-SHA256',
      params: '600,000 iterations',
      'memory per derivation': '~0 (not memory-hard)',
      [`unlock ms (median of ${RUNS})`]: pbkdf2.toFixed(0),
    })
    console.log('Unlock (passphrase → data key → whole-file check), real parameters:')
    console.table(unlockRows)

    // TENANTS tenants (1,000 at full size), default KDF.
    const path = join(dir, 'many.json')
    const v = await createVault(path, PASS)
    v.setPlatformKey(key(0))
    const t0 = performance.now()
    for (let i = 1; i <= TENANTS; i++) v.setTenantKey(`t${i}`, key(i))
    const setMs = (performance.now() - t0) / TENANTS
    const unlock1000 = await timeIt(RUNS, async () => {
      const w = KeyVault.open(path)
      await w.unlock(PASS)
      w.lock()
    })
    let p = PASS
    const change = await timeIt(RUNS, async () => {
      const next = p === PASS ? NEW_PASS : PASS
      await v.changePassphrase(p, next)
      p = next
    })
    const rotate = await timeIt(RUNS, () => v.rotateDataKey(p))

    let sink = 0
    const r0 = performance.now()
    for (let i = 0; i < reads; i++) sink += v.readKeyForSolve(`t${(i % TENANTS) + 1}`, 'own').key.length
    const readUs = ((performance.now() - r0) * 1_000) / reads
    const cache = new Map(Array.from({ length: TENANTS }, (_, i) => [`t${i + 1}`, key(i + 1)]))
    const m0 = performance.now()
    for (let i = 0; i < reads; i++) sink += cache.get(`t${(i % TENANTS) + 1}`)!.length
    const mapUs = ((performance.now() - m0) * 1_000) / reads
    if (sink === 0) console.log('')

    ctx.record(`set one key, ${TENANTS} tenants`, setMs, 'ms')
    ctx.record(`unlock with ${TENANTS} tenant keys`, unlock1000, 'ms')
    ctx.record(`change passphrase, ${TENANTS} tenant keys`, change, 'ms')
    ctx.record(`rotate data key, ${TENANTS} tenant keys`, rotate, 'ms')
    ctx.record('readKeyForSolve (HKDF + GCM open)', readUs / 1_000, 'ms')
    ctx.record('baseline: Map lookup of a cached plaintext key', mapUs / 1_000, 'ms')
    console.log(
      `Vault with ${TENANTS} tenant keys + platform key (file ${(statSync(path).size / 1024).toFixed(0)} KiB):`,
    )
    console.table([
      { operation: 'set one key (atomic write, fsync)', 'ms each': setMs.toFixed(2) },
      { operation: `unlock (scrypt + verify all ${TENANTS + 1} entries)`, 'ms each': unlock1000.toFixed(0) },
      { operation: 'change passphrase (2 × scrypt, re-wrap only)', 'ms each': change.toFixed(0) },
      { operation: `rotate data key (2 × scrypt, re-encrypt ${TENANTS + 1})`, 'ms each': rotate.toFixed(0) },
      { operation: 'readKeyForSolve (HKDF + GCM open)', 'ms each': (readUs / 1_000).toFixed(4) },
      { operation: 'baseline: Map lookup of a cached plaintext key', 'ms each': (mapUs / 1_000).toFixed(4) },
    ])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run(standaloneContext('vault'))
