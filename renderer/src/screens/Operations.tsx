import { useCallback, useEffect, useState } from 'react'
import type { Tenant } from '@shared/tenant'
import { call, messageOf } from '../api/client'
import { ErrorNote, Field, Screen, money } from '../components/ui'
import { useTenants } from '../stores/tenants'

interface Check {
  account: string
  label: string
  checkedAt: number
  balanceMicros: number | null
  errorCode: string | null
}

export function Balances() {
  const [rows, setRows] = useState<Check[]>([])
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const load = useCallback(async () => {
    try {
      setRows((await call('balances.history', { limit: 100 })) as Check[])
    } catch (err) {
      setError(messageOf(err))
    }
  }, [])
  useEffect(() => {
    void load()
  }, [load])
  return (
    <Screen
      title="Balances"
      actions={
        <button
          className="primary"
          disabled={busy}
          onClick={async () => {
            setBusy(true)
            setError(null)
            try {
              await call('balances.check', {})
              await load()
            } catch (err) {
              setError(messageOf(err))
            } finally {
              setBusy(false)
            }
          }}
        >
          {busy ? 'Checking…' : 'Check now'}
        </button>
      }
    >
      <ErrorNote text={error} />
      <table className="grid" data-testid="balance-table">
        <thead>
          <tr>
            <th scope="col">Account</th>
            <th scope="col">Balance</th>
            <th scope="col">Checked</th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={3} className="muted">
                No checks yet. Press “Check now”.
              </td>
            </tr>
          ) : null}
          {rows.map((r, i) => (
            <tr key={i}>
              <th scope="row">{r.label}</th>
              <td>
                {r.errorCode ? <span className="bad-text">{r.errorCode}</span> : money(r.balanceMicros)}
              </td>
              <td>{new Date(r.checkedAt).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Screen>
  )
}

interface InvoiceLine {
  kind: string
  description: string
  quantity: number
  unitPriceMicros: number
  amountMicros: number
}
interface Invoice {
  number: string | null
  status: string
  currency: string
  periodStartUtc: string
  periodEndUtc: string
  lines: InvoiceLine[]
  totalMicros: number
  costMicros: number
  marginMicros: number
  solves: number
}

export function Billing() {
  const { tenants, load } = useTenants()
  const [month, setMonth] = useState(new Date().toISOString().slice(0, 7))
  const [chosenTenant, setTenantId] = useState('')
  const [invoice, setInvoice] = useState<Invoice | null>(null)
  const [files, setFiles] = useState<Array<{ name: string; url: string | null; path: string | null }>>([])
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    void load()
  }, [load])
  const tenantId = chosenTenant || tenants[0]?.id || ''
  useEffect(() => {
    if (!tenantId) return
    call('billing.preview', { month, tenantId }).then(
      (i) => {
        setInvoice(i as Invoice)
        setError(null)
      },
      (err) => {
        setInvoice(null)
        setError(messageOf(err))
      },
    )
  }, [month, tenantId])

  async function exportCsv(all: boolean) {
    setBusy(true)
    setError(null)
    try {
      const r = await call('billing.export', { month, tenantId: all ? null : tenantId })
      setFiles(r.files)
    } catch (err) {
      setError(messageOf(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <Screen title="Billing">
      <div className="toolbar">
        <Field id="b-month" label="Month">
          <input id="b-month" type="month" value={month} onChange={(e) => setMonth(e.target.value)} />
        </Field>
        <Field id="b-tenant" label="Tenant">
          <select id="b-tenant" value={tenantId} onChange={(e) => setTenantId(e.target.value)}>
            {tenants.map((t: Tenant) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </Field>
        <button onClick={() => void exportCsv(false)} disabled={busy || !tenantId}>
          {busy ? 'Exporting…' : 'Export this invoice (CSV)'}
        </button>
        <button className="primary" onClick={() => void exportCsv(true)} disabled={busy}>
          {busy ? 'Exporting…' : 'Export all tenants'}
        </button>
      </div>
      <ErrorNote text={error} />
      {invoice ? (
        <div className="card" data-testid="invoice-preview">
          <h2>
            {invoice.number ?? 'Draft invoice'} <span className="tag">{invoice.status}</span>
          </h2>
          <p className="muted">
            {invoice.periodStartUtc} → {invoice.periodEndUtc} (UTC) · {invoice.solves} billed solves · cost{' '}
            {money(invoice.costMicros)} · margin {money(invoice.marginMicros)}
          </p>
          <table className="grid">
            <thead>
              <tr>
                <th scope="col">Line</th>
                <th scope="col">Quantity</th>
                <th scope="col">Unit price</th>
                <th scope="col">Amount</th>
              </tr>
            </thead>
            <tbody>
              {invoice.lines.map((l, i) => (
                <tr key={i}>
                  <th scope="row">{l.description}</th>
                  <td>{l.quantity}</td>
                  <td>{money(l.unitPriceMicros, 6)}</td>
                  <td>{money(l.amountMicros, 6)}</td>
                </tr>
              ))}
              {invoice.lines.length === 0 ? (
                <tr>
                  <td colSpan={4} className="muted">
                    No billed solves in this month.
                  </td>
                </tr>
              ) : null}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" colSpan={3}>
                  Total ({invoice.currency})
                </th>
                <td>{money(invoice.totalMicros, 2)}</td>
              </tr>
            </tfoot>
          </table>
        </div>
      ) : null}
      {files.length > 0 ? (
        <div className="card" role="status">
          <h2>Exported</h2>
          <ul data-testid="export-files">
            {files.map((f) => (
              <li key={f.name}>
                {f.url ? (
                  <a
                    href={`${f.url}?token=${encodeURIComponent(sessionStorage.getItem('captchadesk.token') ?? '')}`}
                  >
                    {f.name}
                  </a>
                ) : (
                  <code>{f.path}</code>
                )}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </Screen>
  )
}

interface AuditEntry {
  id: number
  at: number
  actor: string
  action: string
  subjectId: string | null
  details: Record<string, unknown>
}

export function AuditLog() {
  const [rows, setRows] = useState<AuditEntry[]>([])
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    call('audit.list', { limit: 200 }).then(
      (r) => setRows(r as AuditEntry[]),
      (err) => setError(messageOf(err)),
    )
  }, [])
  return (
    <Screen title="Audit log">
      <ErrorNote text={error} />
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">What</th>
            <th scope="col">Subject</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td>{new Date(r.at).toLocaleString()}</td>
              <td>{r.actor}</td>
              <td>{r.action}</td>
              <td>{r.subjectId ?? '—'}</td>
              <td className="small">
                <code>{JSON.stringify(r.details).slice(0, 200)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Screen>
  )
}
