import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseMoney } from '@shared/money'
import { PROVIDER_PRESETS } from '@shared/provider'
import { createAlertEngine } from '../../../electron/engine/alerts/alert-engine'
import { createBalanceChecker } from '../../../electron/engine/balances/balance-checker'
import { invoiceFileNames, openBilling, parseCsv } from '../../../electron/engine/billing'
import { openDatabase } from '../../../electron/engine/db/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import { createProviderClient } from '../../../electron/engine/provider'
import { startSandbox } from '../../../electron/engine/sandbox'
import { createTenantRegistry } from '../../../electron/engine/tenants/registry'
import { seedAttempts } from '../../support/ledger-seed'

const root = join(import.meta.dirname, '../../..')

describe('command-line export', () => {
  it('writes summary, detail and all-tenants CSVs that reconcile, and rejects bad arguments', () => {
    const dir = mkdtempSync(join(tmpdir(), 'export-cli-'))
    try {
      const tenants = createTenantRegistry({ dataDir: dir })
      const a = tenants.create({ name: '=HYPERLINK("x")', timezone: 'America/New_York' }, 'test')
      const b = tenants.create({ name: 'Beta', timezone: 'Asia/Kolkata' }, 'test')
      const db = openDatabase(join(dir, 'engine.db'))
      openSqliteLedger(db)
      const base = Date.parse('2026-10-15T12:00:00Z')
      seedAttempts(
        db,
        Array.from({ length: 50 }, (_, i) => ({
          id: `r${i}`,
          tenantId: i % 2 ? a.id : b.id,
          type: 'turnstile' as const,
          endedAt: base + i * 60_000,
          price: 2_000 + i,
        })),
      )
      db.close()
      const out = join(dir, 'out')
      const stdout = execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          join(root, 'electron/cli/export-invoices.ts'),
          '--month',
          '2026-10',
          '--out',
          out,
          '--data-dir',
          dir,
        ],
        { encoding: 'utf8' },
      )
      expect(stdout).toMatch(/All tenants/)
      const files = readdirSync(out).sort()
      expect(files).toHaveLength(5)
      const all = parseCsv(readFileSync(join(out, 'invoices-2026-10-all-tenants.csv'), 'utf8'))
      const perTenant = all.slice(1, -1).map((r) => parseMoney(r[8]!))
      expect(perTenant.reduce((x, y) => x + y, 0)).toBe(parseMoney(all[all.length - 1]![8]!))
      expect(all.find((r) => r[1] === a.id)![2]).toBe('=HYPERLINK("x")')
      expect(readFileSync(join(out, 'invoices-2026-10-all-tenants.csv'), 'utf8')).toContain(
        `"'=HYPERLINK(""x"")"`,
      )
      const bad = (args: string[]) => {
        try {
          execFileSync(
            process.execPath,
            ['--import', 'tsx', join(root, 'electron/cli/export-invoices.ts'), ...args],
            { encoding: 'utf8', stdio: 'pipe' },
          )
          return 0
        } catch (err) {
          return (err as { status: number }).status
        }
      }
      expect(bad(['--month', '2026-13', '--out', out, '--data-dir', dir])).toBe(2)
      expect(bad(['--month', '2026-10', '--data-dir', dir])).toBe(2)
      expect(bad(['--month', '2026-10', '--out', out, '--data-dir', join(dir, 'nothing')])).toBe(2)
      expect(bad(['--month', '2026-10', '--out', out, '--data-dir', dir, '--tenant', 't_nope'])).toBe(2)
      expect(bad(['--month', '2099-01', '--out', join(dir, 'future'), '--data-dir', dir])).toBe(2)
      expect(bad(['--month', '2026-10', '--out', join(dir, 'engine.db'), '--data-dir', dir])).toBe(2)
      expect(bad(['--month', '2026-10', '--out', out, '--data-dir', dir, '--bogus'])).toBe(2)
      expect(bad(['--help'])).toBe(0)
      // One tenant: its two files only; the same figures as in the all-tenants file.
      const one = join(dir, 'one')
      expect(bad(['--month', '2026-10', '--tenant', b.id, '--out', one, '--data-dir', dir])).toBe(0)
      const oneFiles = readdirSync(one).sort()
      // Named by the tenant's name made safe, with the end of its id.
      const names = invoiceFileNames(b, '2026-10')
      expect(names.summary).toMatch(/^invoice-2026-10-Beta-[0-9a-f]{6}-summary\.csv$/)
      expect(oneFiles).toEqual([names.detail, names.summary])
      const oneSummary = parseCsv(readFileSync(join(one, oneFiles[1]!), 'utf8'))
      expect(parseMoney(oneSummary.at(-1)![16]!)).toBe(parseMoney(all.find((r) => r[1] === b.id)![8]!))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})

describe('balance checks', () => {
  it('checks every key, stores results without keys, and raises a low-balance alert', async () => {
    const sandbox = await startSandbox({
      keys: [
        { key: 'p'.repeat(32), balanceMicros: 500_000 },
        { key: 'q'.repeat(32), balanceMicros: 9_000_000 },
      ],
    })
    const db = openDatabase(':memory:')
    openBilling(db, openSqliteLedger(db))
    const alerts = createAlertEngine(db)
    const provider = createProviderClient({ profile: { ...PROVIDER_PRESETS.sandbox, baseUrl: sandbox.url } })
    const checker = createBalanceChecker({
      db,
      provider: () => provider,
      alerts,
      keys: {
        accounts: () => [
          { account: 'sandbox:pppp', label: 'Platform key', apiKey: 'p'.repeat(32) },
          { account: 'sandbox:qqqq', label: 'Acme own key', apiKey: 'q'.repeat(32) },
          { account: 'sandbox:zzzz', label: 'Stale key', apiKey: 'z'.repeat(32) },
        ],
      },
    })
    const results = await checker.checkNow()
    expect(results.map((r) => [r.label, r.balanceMicros, r.errorCode])).toEqual([
      ['Platform key', 500_000, null],
      ['Acme own key', 9_000_000, null],
      ['Stale key', null, 'ERROR_KEY_DOES_NOT_EXIST'],
    ])
    expect(alerts.list({ activeOnly: true })).toEqual([
      expect.objectContaining({ kind: 'low_balance', subject: 'account:sandbox:pppp' }),
    ])
    expect(JSON.stringify(checker.history())).not.toContain('p'.repeat(32))
    expect(checker.latest()).toHaveLength(3)
    await provider.close()
    await sandbox.close()
    db.close()
  })
})
