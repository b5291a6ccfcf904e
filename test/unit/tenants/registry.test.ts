import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openAuditLog } from '../../../electron/engine/audit/audit-log'
import { ConflictError, NotFoundError, ValidationError } from '../../../electron/engine/errors/engine-errors'
import { openDatabase } from '../../../electron/engine/db/database'
import { createTenantRegistry } from '../../../electron/engine/tenants/registry'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tenants-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('tenant registry', () => {
  it('creates with defaults, persists to a 0600 file with a schemaVersion', () => {
    const reg = createTenantRegistry({ dataDir: dir })
    const t = reg.create({ name: '  Acme  ', timezone: 'Europe/Berlin' }, 'op')
    expect(t).toMatchObject({
      name: 'Acme',
      status: 'active',
      keyMode: 'shared',
      shareWeight: 1,
      alertThresholds: { percents: [80, 95, 100] },
    })
    expect(t.pricePlan).toEqual({
      kind: 'unit',
      prices: {
        image: 1_000,
        recaptcha_v2: 3_000,
        recaptcha_v3: 4_000,
        turnstile: 2_000,
        geetest: 3_000,
        geetest_v4: 3_000,
        cloudflare_challenge: 3_000,
        bls: 1_500,
      },
    })
    const file = join(dir, 'tenants.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(file, 'utf8')).schemaVersion).toBe(1)
    expect(createTenantRegistry({ dataDir: dir }).get(t.id)?.name).toBe('Acme')
  })

  it('bad input is a clear error and changes nothing', () => {
    const reg = createTenantRegistry({ dataDir: dir })
    const t = reg.create({ name: 'Acme' }, 'op')
    const before = readFileSync(join(dir, 'tenants.json'), 'utf8')
    const bad: unknown[] = [
      { name: '' },
      { name: 'X', limits: { requestsPerMinute: -1 } },
      { name: 'X', limits: { solvesPerDay: 1e12 } },
      { name: 'X', limits: { monthlyBudgetMicros: 1.5 } },
      { name: 'X', timezone: 'Mars/Olympus' },
      { name: 'X', shareWeight: 0 },
      { name: 'X', alertThresholds: { percents: [95, 80] } },
      { name: 'X', surprise: true },
      { name: 'acme' },
    ]
    for (const input of bad) {
      expect(() => reg.create(input as never, 'op')).toThrow(
        input && (input as { name: string }).name === 'acme' ? ConflictError : ValidationError,
      )
    }
    expect(() => reg.update(t.id, { limits: { maxConcurrent: 0 } }, 'op')).toThrow(/maxConcurrent/)
    expect(() => reg.update('t_missing', { notes: 'x' }, 'op')).toThrow(NotFoundError)
    expect(readFileSync(join(dir, 'tenants.json'), 'utf8')).toBe(before)
  })

  it('suspends, resumes and soft-deletes; every change is audited', () => {
    const db = openDatabase(join(dir, 'engine.db'))
    const audit = openAuditLog(db)
    const reg = createTenantRegistry({ dataDir: dir, audit })
    const t = reg.create({ name: 'Acme' }, 'op')
    reg.update(t.id, { limits: { solvesPerDay: 100 } }, 'op')
    reg.suspend(t.id, 'op')
    reg.resume(t.id, 'op')
    reg.delete(t.id, 'op')
    expect(reg.list()).toHaveLength(0)
    expect(reg.list({ includeDeleted: true })[0]?.status).toBe('deleted')
    expect(() => reg.update(t.id, { notes: 'x' }, 'op')).toThrow(ConflictError)
    expect(audit.list().map((e) => e.action)).toEqual([
      'tenant.delete',
      'tenant.resume',
      'tenant.suspend',
      'tenant.update',
      'tenant.create',
    ])
    expect(audit.list()[3]!.details).toEqual({ limits: { from: {}, to: { solvesPerDay: 100 } } })
    db.close()
  })

  it('migrates an unversioned early file', () => {
    writeFileSync(
      join(dir, 'tenants.json'),
      JSON.stringify({
        schemaVersion: 0,
        tenants: {
          t_old: {
            id: 't_old',
            name: 'Old',
            status: 'active',
            keyMode: 'shared',
            limits: {},
            timezone: 'UTC',
          },
        },
      }),
    )
    const reg = createTenantRegistry({ dataDir: dir })
    expect(reg.get('t_old')).toMatchObject({ shareWeight: 1, notes: '', pricePlan: { kind: 'unit' } })
    expect(JSON.parse(readFileSync(join(dir, 'tenants.json'), 'utf8')).schemaVersion).toBe(1)
  })
})
