/**
 * What happens when the engine's lock timer locks invoices (or fails to): an audit line per invoice, the console's
 * `invoice.locked` event, and the signed `invoice.locked` webhook — and an audit line when locking failed.
 */
import type { AuditLog } from '../audit/audit-log'
import type { Invoice } from '../billing'
import type { Webhook } from '../alerts/webhook'

export function invoiceLockEvents(deps: {
  audit: Pick<AuditLog, 'record'>
  webhook: Pick<Webhook, 'send'>
  emit: (event: 'invoice.locked', invoice: Invoice) => void
}): { onLocked(invoices: Invoice[]): void; onError(err: Error): void } {
  return {
    onLocked(invoices) {
      for (const inv of invoices) {
        const { tenantId, tenantName, month, number, currency, totalMicros, issueDate, dueDate } = inv
        deps.audit.record({
          actor: 'system',
          action: 'invoice.lock',
          subjectType: 'tenant',
          subjectId: tenantId,
          details: { month, number, totalMicros, currency },
        })
        deps.emit('invoice.locked', inv)
        deps.webhook.send('invoice.locked', {
          tenantId,
          tenantName,
          month,
          number,
          currency,
          totalMicros,
          issueDate,
          dueDate,
        })
      }
    },
    onError: (err) =>
      deps.audit.record({
        actor: 'system',
        action: 'invoice.lockFailed',
        subjectType: 'billing',
        details: { error: err.message },
      }),
  }
}
