/** The export use case over a data folder's billing data opened without the engine (as `npm run export` does). */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openBillingData, type BillingData } from '../../../electron/engine/app/billing-data'
import { dataPaths } from '../../../electron/engine/app/data-paths'
import { exportInvoices, MonthNotStartedError } from '../../../electron/engine/app/use-cases/export-invoices'
import { openDatabase } from '../../../electron/engine/db/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import { NotFoundError } from '../../../electron/engine/errors/engine-errors'
import { createTenantRegistry } from '../../../electron/engine/tenants/registry'
import { seedAttempts } from '../../support/ledger-seed'

// 2026-12-01 05:00 UTC: December has begun at UTC+14 (Kiritimati) but not yet at UTC−11 (Pago Pago).
const NOW = Date.parse('2026-12-01T05:00:00Z')

describe('export invoices use case', () => {
  let dir: string
  let data: BillingData
  let ahead: string
  let behind: string

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'export-use-case-'))
    const registry = createTenantRegistry({ dataDir: dir, now: () => NOW })
    ahead = registry.create({ name: 'Ahead', timezone: 'Pacific/Kiritimati' }, 'test').id
    behind = registry.create({ name: 'Behind', timezone: 'Pacific/Pago_Pago' }, 'test').id
    const db = openDatabase(join(dir, 'engine.db'))
    openSqliteLedger(db)
    const at = Date.parse('2026-10-15T12:00:00Z')
    seedAttempts(db, [
      { id: 'r1', tenantId: ahead, type: 'image', endedAt: at, price: 3_000 },
      { id: 'r2', tenantId: behind, type: 'image', endedAt: at, price: 5_000 },
    ])
    db.close()
    data = openBillingData(dataPaths(dir), () => NOW)
  })
  afterEach(async () => {
    await data.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('locks what is due first, leaves out tenants whose month has not started, and removes stale partials', async () => {
    const out = join(dir, 'out')
    mkdirSync(out)
    writeFileSync(join(out, 'invoice.csv.0123456789ab.partial'), 'left by a killed export')
    let lockedFirst: string[] = []
    const r = await exportInvoices(data, {
      month: '2026-12',
      format: 'csv',
      dir: out,
      onLocked: (locked) => {
        lockedFirst = locked.map((i) => `${i.tenantName} ${i.month}`)
        expect(readdirSync(out).filter((f) => f.endsWith('.csv'))).toEqual([]) // nothing written yet
      },
    })
    // October's grace period has ended for both; November's (3 days) has not.
    expect(lockedFirst.sort()).toEqual(['Ahead 2026-10', 'Behind 2026-10'])
    // Locked as the running app's timer locks: each in the audit log.
    const db = openDatabase(join(dir, 'engine.db'))
    const audited = db.prepare("SELECT subject_id FROM audit_log WHERE action = 'invoice.lock'").all()
    db.close()
    expect(audited.map((r) => r.subject_id).sort()).toEqual([ahead, behind].sort())
    expect(r.tenants.map((t) => t.id)).toEqual([ahead])
    expect(r.invoices.map((i) => i.tenantId)).toEqual([ahead])
    expect(existsSync(join(out, 'invoice.csv.0123456789ab.partial'))).toBe(false)
    expect(r.files.at(-1)).toBe(join(out, 'invoices-2026-12-all-tenants.csv'))
  })

  it('refuses a month that has started for none of them, and an unknown tenant before locking anything', async () => {
    await expect(
      exportInvoices(data, { month: '2026-12', tenantId: behind, format: 'csv', dir: join(dir, 'b') }),
    ).rejects.toThrow(MonthNotStartedError)
    let lockCalls = 0
    const counting = { ...data, lockDue: () => (lockCalls++, data.lockDue()) }
    await expect(
      exportInvoices(counting, { month: '2026-10', tenantId: 't_nope', format: 'csv', dir: join(dir, 'c') }),
    ).rejects.toThrow(NotFoundError)
    expect(lockCalls).toBe(0)
    const one = await exportInvoices(counting, {
      month: '2026-10',
      tenantId: behind,
      format: 'csv',
      dir: join(dir, 'd'),
    })
    expect(lockCalls).toBe(1)
    expect(one.invoices).toEqual([expect.objectContaining({ tenantId: behind, totalMicros: 5_000 })])
    expect(one.files).toHaveLength(2) // one tenant: no all-tenants summary
  })

  it('writes PDFs into a folder that does not exist yet', async () => {
    const out = join(dir, 'new', 'pdfs')
    const r = await exportInvoices(data, { month: '2026-10', tenantId: behind, format: 'pdf', dir: out })
    expect(r.files).toHaveLength(1)
    expect(r.files[0]!.endsWith('.pdf')).toBe(true)
    expect(existsSync(r.files[0]!)).toBe(true)
  })
})
