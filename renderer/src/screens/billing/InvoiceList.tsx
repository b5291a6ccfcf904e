/** The month's invoices, one row per tenant: status, number, totals, credit, allocated cost, margin, marks. */
import { formatMoneyDisplay } from '@shared/money-display'
import { formatTime } from '../../components/ui'
import { useBillingMonth } from '../../stores/billing-month'
import { EmptyRow, num, TableHead } from '../../components/table'

const show = (m: number, currency: string) => formatMoneyDisplay(m, currency, { style: 'unit' })

export function InvoiceList({ onPdf }: { onPdf: (tenantId: string) => void }) {
  const { list, mark } = useBillingMonth()
  if (!list) return null
  return (
    <section className="card" aria-labelledby="invoice-list-title" data-testid="invoice-list">
      <h2 id="invoice-list-title">Invoices for {list.month}</h2>
      <p className="muted small">
        Cost is{' '}
        {list.allocation === 'thread_seconds'
          ? 'each tenant’s share of the upstream plan’s monthly price, by thread-seconds'
          : 'the per-solve cost from the price list'}{' '}
        (Settings → Billing). Margin is the net amount less that cost.
      </p>
      <table className="grid compact">
        <TableHead
          columns={[
            'Tenant',
            'Status',
            'Number',
            num('Total'),
            num('Amount due'),
            num('Credit left'),
            num('Cost'),
            num('Margin'),
            'Actions',
          ]}
        />
        <tbody>
          {list.rows.map((r) => {
            const status = r.paidAt ? 'paid' : r.sentAt ? 'sent' : r.status
            return (
              <tr key={r.tenantId}>
                <th scope="row">
                  <a href={`#/tenants/${r.tenantId}`}>{r.tenantName}</a>
                  {r.mode === 'prepaid' ? <span className="tag">prepaid</span> : null}
                </th>
                <td>
                  <span className={`tag ${r.status}`}>{status}</span>
                  {r.paidAt ? <span className="muted small"> {formatTime(r.paidAt)}</span> : null}
                  {!r.paidAt && r.sentAt ? (
                    <span className="muted small"> {formatTime(r.sentAt)}</span>
                  ) : null}
                </td>
                <td>{r.number ?? <span className="muted">draft</span>}</td>
                <td className="num">{show(r.totalMicros, r.currency)}</td>
                <td className="num">{show(r.amountDueMicros, r.currency)}</td>
                <td className="num">{r.credit ? show(r.credit.leftMicros, r.currency) : '—'}</td>
                <td className="num">{show(r.costMicros, r.currency)}</td>
                <td className={`num${r.marginMicros <= 0 && r.solves > 0 ? ' warn-text' : ''}`}>
                  {show(r.marginMicros, r.currency)}
                </td>
                <td className="actions">
                  <button onClick={() => onPdf(r.tenantId)} aria-label={`PDF for ${r.tenantName}`}>
                    PDF
                  </button>
                  {r.status === 'locked' && !r.sentAt ? (
                    <button
                      onClick={() => void mark({ tenantId: r.tenantId, month: list.month, sent: true })}
                    >
                      Mark sent
                    </button>
                  ) : null}
                  {r.status === 'locked' && !r.paidAt ? (
                    <button
                      onClick={() => void mark({ tenantId: r.tenantId, month: list.month, paid: true })}
                    >
                      Mark paid
                    </button>
                  ) : null}
                </td>
              </tr>
            )
          })}
          {list.rows.length === 0 ? <EmptyRow columns={9}>No invoices for this month.</EmptyRow> : null}
        </tbody>
      </table>
    </section>
  )
}
