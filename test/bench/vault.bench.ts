/** Vault unlock time with the real KDF parameters, beside PBKDF2-SHA256 at 600,000 rounds (Bitwarden's default). */
import { pbkdf2Sync } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KeyVault, MINIMUM_KDF, RECOMMENDED_KDF } from '../../electron/engine/vault'

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vault-bench-'))
  try {
    const rows = []
    for (const [name, kdf] of [
      ['scrypt (default)', RECOMMENDED_KDF],
      ['scrypt (minimum accepted)', MINIMUM_KDF],
    ] as const) {
      const path = join(dir, `${name.replace(/\W/g, '')}.json`)
      const v = KeyVault.open(path, { kdf })
      await v.create('benchmark passphrase')
      v.setPlatformKey('P1a2b3c4d5e6f7g8h9i0j1k2l3m4n5o6')
      const times: number[] = []
      for (let i = 0; i < 3; i++) {
        const w = KeyVault.open(path)
        const t0 = performance.now()
        await w.unlock('benchmark passphrase')
        times.push(performance.now() - t0)
        w.lock()
      }
      const rss = process.memoryUsage().rss
      rows.push({
        kdf: name,
        params: `N=2^${Math.log2(kdf.N)}, r=${kdf.r}, p=${kdf.p}`,
        'memory per derivation': `${(128 * kdf.N * kdf.r) / 2 ** 20} MiB`,
        'unlock ms (median of 3)': times.sort((a, b) => a - b)[1]!.toFixed(0),
        'rss MiB': (rss / 2 ** 20).toFixed(0),
      })
    }
    const t0 = performance.now()
    pbkdf2Sync('benchmark passphrase', 'saltsaltsaltsalt', 600_000, 32, 'sha256')
    rows.push({
      kdf: 'baseline: PBKDF2-SHA256',
      params: '600,000 iterations',
      'memory per derivation': '~0 (not memory-hard)',
      'unlock ms (median of 3)': (performance.now() - t0).toFixed(0),
      'rss MiB': '',
    })
    console.table(rows)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
