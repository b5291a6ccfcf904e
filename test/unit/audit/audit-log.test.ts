import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openAuditLog, type AuditLog } from '../../../electron/engine/audit/audit-log'
import { redactSecrets } from '../../../electron/engine/log/redact'
import { openDatabase, type Database } from '../../../electron/engine/db/database'

// Shaped like a CaptchaAI key (32 hex) and a gateway key (32 lowercase alnum).
const UPSTREAM_KEY = '0123456789abcdef0123456789abcdef'
const GATEWAY_KEY = 'k7q2m9x4p1z8w3n6v5b0c2d4f6g8h1j3'

let db: Database
let audit: AuditLog
let clock = 1_000
beforeEach(() => {
  db = openDatabase(':memory:')
  clock = 1_000
  audit = openAuditLog(db, () => clock++)
})
afterEach(() => db.close())

const stored = (): string =>
  (db.prepare('SELECT * FROM audit_log').all() as Array<Record<string, unknown>>)
    .map((r) => JSON.stringify(r))
    .join('\n')

describe('audit log', () => {
  it('records who, when, what; lists newest first with paging and a subject filter', () => {
    for (let i = 0; i < 5; i++)
      audit.record({
        actor: 'operator',
        action: 'tenant.update',
        subjectType: 'tenant',
        subjectId: i % 2 ? 't_odd' : 't_even',
        details: { notes: { from: `${i}`, to: `${i + 1}` } },
      })
    const all = audit.list()
    expect(all.map((e) => e.at)).toEqual([1_004, 1_003, 1_002, 1_001, 1_000])
    expect(all[0]).toMatchObject({
      actor: 'operator',
      action: 'tenant.update',
      subjectType: 'tenant',
      subjectId: 't_even',
      details: { notes: { from: '4', to: '5' } },
    })
    const page = audit.list({ limit: 2 })
    expect(page).toHaveLength(2)
    expect(audit.list({ limit: 2, beforeId: page[1]!.id }).map((e) => e.at)).toEqual([1_002, 1_001])
    expect(audit.list({ subjectId: 't_odd' }).map((e) => e.at)).toEqual([1_003, 1_001])
  })

  it('is append-only in the database itself', () => {
    audit.record({ actor: 'operator', action: 'tenant.create', subjectType: 'tenant', subjectId: 't1' })
    expect(() => db.prepare("UPDATE audit_log SET actor = 'x'").run()).toThrow(/append-only/)
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/)
    expect(audit.list()).toHaveLength(1)
  })

  it('never stores a key, wherever it hides, and says what it redacted', () => {
    audit.record({
      actor: `operator ${UPSTREAM_KEY}`,
      action: 'vault.setTenantKey',
      subjectType: 'tenant',
      subjectId: `t1_${GATEWAY_KEY}`,
      details: {
        apiKey: 'short-but-named-like-a-secret',
        note: `pasted key=${UPSTREAM_KEY} by mistake`,
        label: `label_${GATEWAY_KEY}`,
        gatewayToken: { from: 'old', to: 'new' },
        list: ['fine', `${UPSTREAM_KEY}`],
        [UPSTREAM_KEY]: 'a key as a property name',
        fingerprint: 'a1b2c3d4e5f6',
        keyMode: 'shared',
      },
    })
    const text = stored()
    for (const secret of [UPSTREAM_KEY, GATEWAY_KEY, 'short-but-named-like-a-secret', '"old"', '"new"'])
      expect(text).not.toContain(secret)
    const [e] = audit.list()
    expect(e!.actor).toBe('operator [redacted]')
    expect(e!.subjectId).toBe('t1_[redacted]')
    expect(e!.details).toMatchObject({
      apiKey: '[redacted]',
      note: 'pasted key=[redacted] by mistake',
      label: 'label_[redacted]',
      gatewayToken: { from: '[redacted]', to: '[redacted]' },
      list: ['fine', '[redacted]'],
      '[redacted]': '[redacted]',
      // Not secrets: short fingerprints and ordinary fields stay readable.
      fingerprint: 'a1b2c3d4e5f6',
      keyMode: 'shared',
    })
    expect(e!.details._redacted).toEqual(
      expect.arrayContaining([
        'apiKey',
        'note',
        'label',
        'gatewayToken.from',
        'gatewayToken.to',
        'list[1]',
        '[redacted]',
        '(actor)',
        '(subjectId)',
      ]),
    )
  })

  it('leaves ordinary details untouched and marks nothing redacted', () => {
    const details = { name: { from: 'Acme', to: 'Acme GmbH' }, limits: { to: { solvesPerDay: 100 } } }
    expect(redactSecrets(details)).toEqual({ value: details, redacted: [] })
    audit.record({
      actor: 'operator',
      action: 'tenant.update',
      subjectType: 'tenant',
      subjectId: 't1',
      details,
    })
    expect(audit.list()[0]!.details).toEqual(details)
  })
})
