/**
 * Vault costs with the real KDF parameters, beside baselines measured in the same run:
 * - unlock (scrypt N=2^17 default, N=2^15 minimum accepted) beside PBKDF2-SHA256 at 600,000 rounds (Bitwarden's default);
 * - passphrase change and data-key rotation with 1,000 tenant keys;
 * - the per-solve key read (HKDF + AES-256-GCM open) beside a plain Map lookup of a cached plaintext key.
 */
import { pbkdf2Sync } from 'node:crypto'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KeyVault, MINIMUM_KDF, RECOMMENDED_KDF } from '../../electron/engine/vault'

const PASS = 'benchmark passphrase'
const NEW_PASS = 'another benchmark passphrase'
const key = (i: number): string => `K${String(i).padStart(31, '0')}`

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
async function timeIt(runs: number, fn: () => unknown): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await fn()
    times.push(performance.now() - t0)
  }
  return median(times)
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vault-bench-'))
  try {
    const unlockRows = []
    for (const [name, kdf] of [
      ['scrypt (default)', RECOMMENDED_KDF],
      ['scrypt (minimum accepted on read)', MINIMUM_KDF],
    ] as const) {
      const path = join(dir, `${name.replace(/\W/g, '')}.json`)
      const v = await KeyVault.create(path, PASS, { kdf })
      v.setPlatformKey(key(0))
      const ms = await timeIt(3, async () => {
        const w = KeyVault.open(path)
        await w.unlock(PASS)
        w.lock()
      })
      unlockRows.push({
        kdf: name,
        params: `N=2^${Math.log2(kdf.N)}, r=${kdf.r}, p=${kdf.p}`,
        'memory per derivation': `${(128 * kdf.N * kdf.r) / 2 ** 20} MiB`,
        'unlock ms (median of 3)': ms.toFixed(0),
      })
    }
    const pbkdf2 = await timeIt(3, () => pbkdf2Sync(PASS, 'saltsaltsaltsalt', 600_000, 32, 'sha256'))
    unlockRows.push({
      kdf: 'baseline: PBKDF2-SHA256',
      params: '600,000 iterations',
      'memory per derivation': '~0 (not memory-hard)',
      'unlock ms (median of 3)': pbkdf2.toFixed(0),
    })
    console.log('Unlock (passphrase → data key → whole-file check), real parameters:')
    console.table(unlockRows)

    // 1,000 tenants, default KDF.
    const path = join(dir, 'many.json')
    const v = await KeyVault.create(path, PASS)
    v.setPlatformKey(key(0))
    const t0 = performance.now()
    for (let i = 1; i <= 1_000; i++) v.setTenantKey(`t${i}`, key(i))
    const setMs = (performance.now() - t0) / 1_000
    const unlock1000 = await timeIt(3, async () => {
      const w = KeyVault.open(path)
      await w.unlock(PASS)
      w.lock()
    })
    let p = PASS
    const change = await timeIt(3, async () => {
      const next = p === PASS ? NEW_PASS : PASS
      await v.changePassphrase(p, next)
      p = next
    })
    const rotate = await timeIt(3, () => v.rotateDataKey(p))

    const reads = 20_000
    let sink = 0
    const r0 = performance.now()
    for (let i = 0; i < reads; i++) sink += v.readKeyForSolve(`t${(i % 1_000) + 1}`, 'own').key.length
    const readUs = ((performance.now() - r0) * 1_000) / reads
    const cache = new Map(Array.from({ length: 1_000 }, (_, i) => [`t${i + 1}`, key(i + 1)]))
    const m0 = performance.now()
    for (let i = 0; i < reads; i++) sink += cache.get(`t${(i % 1_000) + 1}`)!.length
    const mapUs = ((performance.now() - m0) * 1_000) / reads
    if (sink === 0) console.log('')

    console.log(
      `Vault with 1,000 tenant keys + platform key (file ${(statSync(path).size / 1024).toFixed(0)} KiB):`,
    )
    console.table([
      { operation: 'set one key (atomic write, fsync)', 'ms each': setMs.toFixed(2) },
      { operation: 'unlock (scrypt + verify all 1,001 entries)', 'ms each': unlock1000.toFixed(0) },
      { operation: 'change passphrase (2 × scrypt, re-wrap only)', 'ms each': change.toFixed(0) },
      { operation: 'rotate data key (2 × scrypt, re-encrypt 1,001)', 'ms each': rotate.toFixed(0) },
      { operation: 'readKeyForSolve (HKDF + GCM open)', 'ms each': (readUs / 1_000).toFixed(4) },
      { operation: 'baseline: Map lookup of a cached plaintext key', 'ms each': (mapUs / 1_000).toFixed(4) },
    ])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
