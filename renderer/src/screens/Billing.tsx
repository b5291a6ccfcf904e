/** Billing: pick a month and a tenant, preview the invoice, export one or all as CSV (with progress). */
import { useEffect, useMemo } from 'react'
import { TOKEN_KEY, transport } from '../api/client'
import { ErrorNote, Field, Progress, Screen, formatTime, plural, useNow } from '../components/ui'
import { formatMoneyDisplay } from '@shared/money-display'
import { useBilling, type ExportFile } from '../stores/billing'
import { useBillingMonth } from '../stores/billing-month'
import { useCurrency } from '../stores/currency'
import { useTenants } from '../stores/tenants'
import { BillingAlerts } from './billing/BillingAlerts'
import { CreditPanel } from './billing/CreditPanel'
import { InvoiceList } from './billing/InvoiceList'
import { EmptyRow, num, TableHead } from '../components/table'

function downloadUrl(f: ExportFile): string | null {
  if (!f.url) return null
  const token = transport === 'http' ? sessionStorage.getItem(TOKEN_KEY) : null
  return token ? `${f.url}?token=${encodeURIComponent(token)}` : f.url
}

/** "2026-11-01T00:00:00+01:00" → "2026-11-01 00:00". */
function localStamp(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso)
  return m ? `${m[1]} ${m[2]}` : iso
}

function InvoicePreview() {
  const { invoice, previewing, previewError } = useBilling()
  if (previewError) return <ErrorNote text={previewError} />
  if (!invoice) return previewing ? <p aria-busy="true">Building the preview…</p> : null
  // An invoice is shown in its own currency (a locked one keeps the currency it was locked with).
  const unit = (m: number) => formatMoneyDisplay(m, invoice.currency, { style: 'unit' })
  const total = unit
  const totalRow = (label: string, amount: number, strong = false) => (
    <tr>
      <th scope="row" colSpan={3}>
        {label}
      </th>
      <td className={`num${strong ? ' strong' : ''}`}>{total(amount)}</td>
      <td />
    </tr>
  )
  return (
    <section
      className="card"
      data-testid="invoice-preview"
      aria-labelledby="invoice-title"
      aria-busy={previewing}
    >
      <h2 id="invoice-title">
        {invoice.number ?? 'Draft invoice'} — {invoice.tenantName}, {invoice.month}{' '}
        <span className={`tag ${invoice.status}`}>{invoice.status}</span>
      </h2>
      <p className="muted small">
        Period {localStamp(invoice.periodStartLocal)} → {localStamp(invoice.periodEndLocal)} (
        {invoice.timezone}) ·{' '}
        {invoice.status === 'draft'
          ? `draft as of ${formatTime(invoice.cutoffAt)}; it locks (and gets its number) after the month’s grace period`
          : `locked ${invoice.lockedAt ? formatTime(invoice.lockedAt) : ''}`}{' '}
        · issued {invoice.issueDate}, due {invoice.dueDate}
      </p>
      <table className="grid compact">
        <TableHead
          columns={['Line', num('Quantity'), num('Unit price'), num('Amount'), num('Upstream cost')]}
        />
        <tbody>
          {invoice.lines.map((l, i) => (
            <tr key={i}>
              <th scope="row">
                {l.description}
                {l.kind === 'late_usage' ? <span className="tag">late, from {l.fromMonth}</span> : null}
              </th>
              <td className="num">{l.quantity.toLocaleString('en-US')}</td>
              <td className="num">{unit(l.unitPriceMicros)}</td>
              <td className="num">{unit(l.amountMicros)}</td>
              <td className="num">{unit(l.costMicros)}</td>
            </tr>
          ))}
          {invoice.lines.length === 0 ? (
            <EmptyRow columns={5}>No billed solves in this month.</EmptyRow>
          ) : null}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={3}>
              Total ({invoice.currency}) · {plural(invoice.solves, 'billed solve')}
            </th>
            <td className="num strong">{total(invoice.totalMicros)}</td>
            <td className="num">{total(invoice.costMicros)}</td>
          </tr>
          {invoice.taxRateBps > 0 || invoice.reverseCharge
            ? totalRow(
                invoice.reverseCharge
                  ? 'of which tax: 0 % (reverse charge)'
                  : `of which tax: ${invoice.taxRateBps / 100} %`,
                invoice.taxMicros,
              )
            : null}
          {invoice.credit ? totalRow('Paid from prepaid credit', invoice.credit.usedMicros) : null}
          {invoice.credit ? totalRow('Prepaid credit left', invoice.credit.leftMicros) : null}
          {invoice.credit ? totalRow('Amount due', invoice.amountDueMicros, true) : null}
          {totalRow('Margin (net less cost)', invoice.marginMicros)}
        </tfoot>
      </table>
    </section>
  )
}

function ExportStatus() {
  const { exporting, exportRows, exportStartedAt, files, exportError, exportNote } = useBilling()
  const tenants = useTenants((s) => s.tenants)
  const nameIn = (file: string) =>
    tenants.find((t) => file.includes(`-${t.id.replace(/[^A-Za-z0-9]/g, '').slice(-6)}`))?.name
  const now = useNow(exporting !== null, 500)
  return (
    <>
      <ErrorNote text={exportError} />
      {exporting ? (
        <Progress label="Exporting invoices">
          Exporting {exporting === 'all' ? 'every tenant’s invoice' : 'the invoice'}…{' '}
          {exportRows.toLocaleString('en-US')} rows written
          {exportStartedAt ? `, ${Math.floor((now - exportStartedAt) / 1000)} s` : ''}
        </Progress>
      ) : null}
      {files.length > 0 ? (
        <section className="card" aria-labelledby="export-title">
          <h2 id="export-title">Exported</h2>
          <p role="status">{exportNote}</p>
          <ul data-testid="export-files" className="files">
            {files.map((f) => {
              const href = downloadUrl(f)
              return (
                <li key={f.name}>
                  {href ? (
                    <a href={href} download={f.name}>
                      {f.name}
                    </a>
                  ) : (
                    <code>{f.path ?? f.name}</code>
                  )}
                  {nameIn(f.name) ? <span className="muted small"> — {nameIn(f.name)}</span> : null}
                </li>
              )
            })}
          </ul>
        </section>
      ) : exportNote ? (
        <p role="status" className="muted">
          {exportNote}
        </p>
      ) : null}
    </>
  )
}

export function Billing() {
  const tenants = useTenants((s) => s.tenants)
  const loadTenants = useTenants((s) => s.load)
  const loaded = useTenants((s) => s.loaded)
  const { month, tenantId: chosen, setMonth, setTenant, preview, exportCsv, exporting } = useBilling()
  const loadMonth = useBillingMonth((s) => s.load)
  const currency = useCurrency((s) => s.currency)
  const loadCurrency = useCurrency((s) => s.load)
  useEffect(() => {
    void loadCurrency()
  }, [loadCurrency])
  useEffect(() => {
    void loadMonth(month)
  }, [month, loadMonth, exporting])
  useEffect(() => {
    void loadTenants()
  }, [loadTenants])
  const sorted = useMemo(() => [...tenants].sort((a, b) => a.name.localeCompare(b.name)), [tenants])
  const tenantId = sorted.some((t) => t.id === chosen) ? chosen : (sorted[0]?.id ?? '')
  useEffect(() => {
    if (tenantId !== chosen) setTenant(tenantId)
  }, [tenantId, chosen, setTenant])
  useEffect(() => {
    void preview()
  }, [month, tenantId, preview])
  const monthOk = /^\d{4}-(0[1-9]|1[0-2])$/.test(month)
  return (
    <Screen
      title="Billing"
      intro={`Invoices per tenant and month, in the tenant’s time zone. Amounts in ${currency} (a locked invoice keeps its own).`}
    >
      <div className="toolbar">
        <Field id="b-month" label="Month" error={monthOk ? null : 'Pick a month.'}>
          <input id="b-month" type="month" value={month} onChange={(e) => setMonth(e.target.value)} />
        </Field>
        <Field id="b-tenant" label="Tenant">
          <select
            id="b-tenant"
            value={tenantId}
            onChange={(e) => setTenant(e.target.value)}
            disabled={!sorted.length}
          >
            {sorted.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
                {t.status !== 'active' ? ` (${t.status})` : ''}
              </option>
            ))}
          </select>
        </Field>
        <button onClick={() => void exportCsv('one')} disabled={exporting !== null || !tenantId || !monthOk}>
          {exporting === 'one' ? 'Exporting…' : 'Export this invoice (CSV)'}
        </button>
        <button
          onClick={() => void exportCsv('one', 'pdf')}
          disabled={exporting !== null || !tenantId || !monthOk}
        >
          Export this invoice (PDF)
        </button>
        <button
          className="primary"
          onClick={() => void exportCsv('all')}
          disabled={exporting !== null || !monthOk}
        >
          {exporting === 'all' ? 'Exporting…' : 'Export all tenants (CSV)'}
        </button>
        <button onClick={() => void exportCsv('all', 'pdf')} disabled={exporting !== null || !monthOk}>
          Export all tenants (PDF)
        </button>
      </div>
      {loaded && sorted.length === 0 ? (
        <p className="note warn">
          No tenants yet: <a href="#/tenants/new">add one</a> to bill it.
        </p>
      ) : null}
      <ExportStatus />
      <InvoicePreview />
      <InvoiceList onPdf={(id) => void exportCsv('one', 'pdf', id)} />
      <CreditPanel month={month} />
      <BillingAlerts />
    </Screen>
  )
}
