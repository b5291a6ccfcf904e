import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Tenant } from '@shared/tenant'
import { openAuditLog } from '../../../electron/engine/audit/audit-log'
import { ConflictError, NotFoundError, ValidationError } from '../../../electron/engine/errors/engine-errors'
import { openDatabase, type Database } from '../../../electron/engine/db/database'
import { createTenantRegistry } from '../../../electron/engine/tenants/registry'

let dir: string
let db: Database
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tenants-edges-'))
  db = openDatabase(':memory:')
})
afterEach(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})
const file = (): string => join(dir, 'tenants.json')
const caught = (fn: () => unknown): unknown => {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected an error')
}

describe('tenant registry: files', () => {
  it('migrates an early file that has no schemaVersion at all', () => {
    writeFileSync(
      file(),
      JSON.stringify({ tenants: { t_old: { id: 't_old', name: 'Old', status: 'suspended' } } }),
    )
    const reg = createTenantRegistry({ dataDir: dir })
    expect(reg.get('t_old')).toMatchObject({
      name: 'Old',
      status: 'suspended',
      keyMode: 'shared',
      limits: {},
      timezone: 'UTC',
      shareWeight: 1,
      notes: '',
      alertThresholds: { percents: [80, 95, 100] },
      pricePlan: { kind: 'unit' },
    })
    const saved = JSON.parse(readFileSync(file(), 'utf8')) as { schemaVersion: number }
    expect(saved.schemaVersion).toBe(1)
    expect(statSync(file()).mode & 0o777).toBe(0o600)
    // The migrated tenant is a full tenant: it can be updated like any other.
    expect(reg.resume('t_old', 'op').status).toBe('active')
  })

  it('refuses a file from a newer version and a corrupt file, leaving both as they were', () => {
    writeFileSync(file(), JSON.stringify({ schemaVersion: 99, tenants: {} }))
    expect(() => createTenantRegistry({ dataDir: dir })).toThrow(/newer CaptchaDesk/)
    expect(JSON.parse(readFileSync(file(), 'utf8')).schemaVersion).toBe(99)
    writeFileSync(file(), '{"schemaVersion": 1, "tenants": {')
    expect(() => createTenantRegistry({ dataDir: dir })).toThrow()
    expect(readFileSync(file(), 'utf8')).toBe('{"schemaVersion": 1, "tenants": {')
  })
})

describe('tenant registry: validation', () => {
  it('accepts the documented bounds and refuses one step beyond each', () => {
    const reg = createTenantRegistry({ dataDir: dir })
    const ok = reg.create(
      {
        name: 'x'.repeat(100),
        keyMode: 'own',
        limits: {
          requestsPerMinute: 100_000,
          solvesPerDay: 10_000_000,
          maxConcurrent: 10_000,
          monthlyBudgetMicros: 1_000_000_000_000,
        },
        pricePlan: { kind: 'markup', markupBps: 1_000_000, monthlyMinimumMicros: 0 },
        timezone: 'Australia/Adelaide',
        alertThresholds: { percents: [1, 50, 100] },
        shareWeight: 1000,
        notes: 'n'.repeat(2000),
      },
      'op',
    )
    expect(ok.id).toMatch(/^t_[a-z0-9]{10,}$/)
    const tooFar: Array<[string, unknown]> = [
      ['name', { name: 'y'.repeat(101) }],
      ['name', { name: 'bad\u0007name' }],
      ['limits.requestsPerMinute', { name: 'y', limits: { requestsPerMinute: 100_001 } }],
      ['limits.requestsPerMinute', { name: 'y', limits: { requestsPerMinute: 0 } }],
      ['limits.solvesPerDay', { name: 'y', limits: { solvesPerDay: 10_000_001 } }],
      ['limits.maxConcurrent', { name: 'y', limits: { maxConcurrent: 10_001 } }],
      ['limits.monthlyBudgetMicros', { name: 'y', limits: { monthlyBudgetMicros: -1 } }],
      ['limits.monthlyBudgetMicros', { name: 'y', limits: { monthlyBudgetMicros: 1_000_000_000_001 } }],
      ['pricePlan.markupBps', { name: 'y', pricePlan: { kind: 'markup', markupBps: 1_000_001 } }],
      ['alertThresholds.percents', { name: 'y', alertThresholds: { percents: [80, 80] } }],
      ['alertThresholds.percents.0', { name: 'y', alertThresholds: { percents: [0, 50] } }],
      ['shareWeight', { name: 'y', shareWeight: 1001 }],
      ['notes', { name: 'y', notes: 'n'.repeat(2001) }],
      ['timezone', { name: 'y', timezone: 'Europe/Atlantis' }],
    ]
    for (const [field, input] of tooFar) {
      const err = caught(() => reg.create(input as never, 'op'))
      expect(err, field).toBeInstanceOf(ValidationError)
      expect((err as ValidationError).fields.map((f) => f.field)).toContain(field)
    }
    expect(reg.list()).toHaveLength(1)
  })

  it('lists every bad field at once', () => {
    const reg = createTenantRegistry({ dataDir: dir })
    const err = caught(() =>
      reg.create({ name: '', shareWeight: 0, limits: { maxConcurrent: -3 } } as never, 'op'),
    ) as ValidationError
    expect(err.fields.map((f) => f.field).sort()).toEqual(['limits.maxConcurrent', 'name', 'shareWeight'])
    expect(err.message).toMatch(/name: .*shareWeight: |shareWeight: .*name: /)
  })

  it('a refused update changes neither the file nor the tenant, and audits nothing', () => {
    const audit = openAuditLog(db)
    const reg = createTenantRegistry({ dataDir: dir, audit })
    const a = reg.create({ name: 'Alpha', timezone: 'Europe/Berlin' }, 'op')
    reg.create({ name: 'Beta' }, 'op')
    const before = readFileSync(file(), 'utf8')
    const entries = audit.list().length
    expect(() => reg.update(a.id, { timezone: 'Nowhere/Town', notes: 'x' }, 'op')).toThrow(
      /not a time zone CaptchaDesk offers|pick a time zone from the list/,
    )
    expect(() => reg.update(a.id, { name: ' BETA ' }, 'op')).toThrow(ConflictError)
    expect(() => reg.update(a.id, { pricePlan: { kind: 'unit', prices: {} } } as never, 'op')).toThrow(
      ValidationError,
    )
    expect(() => reg.update(a.id, { id: 't_hijack' } as never, 'op')).toThrow(ValidationError)
    expect(readFileSync(file(), 'utf8')).toBe(before)
    expect(reg.get(a.id)).toEqual(a)
    expect(audit.list()).toHaveLength(entries)
  })

  it('unknown and prototype-shaped ids are NotFound, never Object.prototype', () => {
    const reg = createTenantRegistry({ dataDir: dir })
    reg.create({ name: 'Alpha' }, 'op')
    const before = readFileSync(file(), 'utf8')
    for (const id of ['t_missing', '__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(reg.get(id)).toBeUndefined()
      expect(() => reg.update(id, { notes: 'x' }, 'op')).toThrow(NotFoundError)
      expect(() => reg.suspend(id, 'op')).toThrow(NotFoundError)
      expect(() => reg.delete(id, 'op')).toThrow(NotFoundError)
    }
    expect(readFileSync(file(), 'utf8')).toBe(before)
  })
})

describe('tenant registry: changes', () => {
  it('audits only the fields that changed, before and after; a no-op patch writes nothing', () => {
    let clock = Date.UTC(2026, 10, 24, 12)
    const audit = openAuditLog(db, () => clock)
    const reg = createTenantRegistry({ dataDir: dir, audit, now: () => clock })
    const t = reg.create({ name: 'Acme', notes: 'first' }, 'alice')
    clock += 60_000
    const u = reg.update(t.id, { notes: 'second', shareWeight: 1, timezone: 'Asia/Kolkata' }, 'bob')
    expect(u.updatedAt).toBe(new Date(clock).toISOString())
    expect(u.createdAt).toBe(t.createdAt)
    const [entry] = audit.list({ limit: 1 })
    expect(entry).toMatchObject({ actor: 'bob', action: 'tenant.update', subjectId: t.id, at: clock })
    expect(entry!.details).toEqual({
      notes: { from: 'first', to: 'second' },
      timezone: { from: 'UTC', to: 'Asia/Kolkata' },
    })
    const before = readFileSync(file(), 'utf8')
    expect(reg.update(t.id, { notes: 'second' }, 'bob')).toEqual(u)
    expect(readFileSync(file(), 'utf8')).toBe(before)
    expect(audit.list()).toHaveLength(2)
  })

  it('notifies listeners on every change until they unsubscribe', () => {
    const reg = createTenantRegistry({ dataDir: dir })
    const seen: Array<[string, Tenant['status']]> = []
    const off = reg.onChange((t) => seen.push([t.name, t.status]))
    const t = reg.create({ name: 'Acme' }, 'op')
    reg.suspend(t.id, 'op')
    reg.suspend(t.id, 'op') // already suspended: no change, no event
    off()
    reg.resume(t.id, 'op')
    expect(seen).toEqual([
      ['Acme', 'active'],
      ['Acme', 'suspended'],
    ])
  })

  it('soft delete keeps the record (and its name) for history; the name becomes free again', () => {
    const reg = createTenantRegistry({ dataDir: dir })
    const old = reg.create({ name: 'Acme' }, 'op')
    reg.delete(old.id, 'op')
    expect(() => reg.resume(old.id, 'op')).toThrow(ConflictError)
    const fresh = reg.create({ name: 'ACME' }, 'op')
    expect(fresh.id).not.toBe(old.id)
    const reopened = createTenantRegistry({ dataDir: dir })
    expect(reopened.get(old.id)).toMatchObject({ name: 'Acme', status: 'deleted' })
    expect(reopened.list().map((t) => t.id)).toEqual([fresh.id])
    expect(reopened.list({ includeDeleted: true })).toHaveLength(2)
  })
})

describe('tenant names', () => {
  it('refuses control characters anywhere (a leading CR is not trimmed away silently); trims plain spaces', () => {
    const reg = createTenantRegistry({ dataDir: dir, audit: openAuditLog(db) })
    for (const bad of ['\rAcme', 'Acme\n', 'Ac\tme', '\u0000Acme', 'Acme\u007f'])
      expect(
        caught(() => reg.create({ name: bad }, 'test')),
        JSON.stringify(bad),
      ).toBeInstanceOf(ValidationError)
    expect(reg.create({ name: '  Acme GmbH  ' }, 'test').name).toBe('Acme GmbH')
    const t = reg.create({ name: 'Beta' }, 'test')
    expect(caught(() => reg.update(t.id, { name: '\rBeta' }, 'test'))).toBeInstanceOf(ValidationError)
    expect(reg.list().map((x) => x.name)).toEqual(['Acme GmbH', 'Beta'])
  })
})
