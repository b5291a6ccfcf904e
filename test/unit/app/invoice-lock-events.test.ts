import { describe, expect, it } from 'vitest'
import { invoiceLockEvents } from '../../../electron/engine/app/invoice-lock-events'
import type { Invoice } from '../../../electron/engine/billing'

describe('invoice lock events', () => {
  it('audits each locked invoice, tells the console and sends the webhook; a failure is audited', () => {
    const audit: unknown[] = []
    const sent: Array<[string, unknown]> = []
    const emitted: Invoice[] = []
    const events = invoiceLockEvents({
      audit: { record: (e) => void audit.push(e) },
      webhook: { send: (type, data) => void sent.push([type, data]) },
      emit: (_, inv) => void emitted.push(inv),
    })
    const inv = {
      tenantId: 't1',
      tenantName: 'Acme',
      month: '2026-10',
      number: 'INV-2026-000001',
      currency: 'USD',
      totalMicros: 5_000,
      issueDate: '2026-11-04',
      dueDate: '2026-11-18',
    } as Invoice
    events.onLocked([inv])
    expect(audit).toEqual([
      {
        actor: 'system',
        action: 'invoice.lock',
        subjectType: 'tenant',
        subjectId: 't1',
        details: { month: '2026-10', number: 'INV-2026-000001', totalMicros: 5_000, currency: 'USD' },
      },
    ])
    expect(emitted).toEqual([inv])
    expect(sent).toEqual([['invoice.locked', { ...inv }]])
    events.onError(new Error('disk full'))
    expect(audit.at(-1)).toMatchObject({ action: 'invoice.lockFailed', details: { error: 'disk full' } })
  })
})
