/** Every tenant's prepaid credit and what its client reads as its balance; top-ups, refunds and adjustments. */
import { useState, type FormEvent } from 'react'
import { formatMoneyDisplay } from '@shared/money-display'
import { parseMoneyInput } from '@shared/typed-numbers'
import { TextField } from '../../components/form-fields'
import { ErrorNote, Field } from '../../components/ui'
import { useBillingMonth } from '../../stores/billing-month'
import { useCurrency } from '../../stores/currency'
import { useTenants } from '../../stores/tenants'
import { num, TableHead } from '../../components/table'

type Kind = 'top_up' | 'refund' | 'adjustment'

export function CreditPanel({ month }: { month: string }) {
  const { credit, topUp } = useBillingMonth()
  const tenants = useTenants((s) => s.tenants)
  const currency = useCurrency((s) => s.currency)
  const show = (m: number) => formatMoneyDisplay(m, currency, { style: 'unit' })
  const [tenantId, setTenantId] = useState('')
  const [kind, setKind] = useState<Kind>('top_up')
  const [amount, setAmount] = useState('')
  const [reference, setReference] = useState('')
  const [note, setNote] = useState('')
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [message, setMessage] = useState<string | null>(null)
  const nameOf = (id: string) => tenants.find((t) => t.id === id)?.name ?? id
  const chosen = credit.some((c) => c.tenantId === tenantId) ? tenantId : (credit[0]?.tenantId ?? '')

  async function submit(e: FormEvent) {
    e.preventDefault()
    const micros = parseMoneyInput(amount, kind === 'adjustment')
    if (micros === null || micros === 0)
      return setErrors({
        amountMicros: 'Enter an amount such as 25 or 12.50 (an adjustment may be negative).',
      })
    const r = await topUp({ tenantId: chosen, kind, amountMicros: micros, reference, note }, month)
    if (r.ok) {
      setErrors({})
      setMessage(null)
      setAmount('')
      setReference('')
      setNote('')
    } else {
      setErrors(r.fields)
      setMessage(r.message)
    }
  }

  return (
    <section className="card" aria-labelledby="credit-title" data-testid="credit-panel">
      <h2 id="credit-title">Prepaid credit</h2>
      <table className="grid compact">
        <TableHead
          columns={[
            'Tenant',
            'Billing',
            num('Bought'),
            num('Used'),
            num('Left'),
            num('In flight'),
            num('getbalance answers'),
          ]}
        />
        <tbody>
          {credit.map((c) => (
            <tr key={c.tenantId}>
              <th scope="row">
                <a href={`#/tenants/${c.tenantId}`}>{nameOf(c.tenantId)}</a>
              </th>
              <td>{c.prepaid ? 'prepaid' : 'postpaid'}</td>
              <td className="num">{show(c.boughtMicros)}</td>
              <td className="num">{show(c.usedMicros)}</td>
              <td className={`num${c.prepaid && c.availableMicros <= 0 ? ' warn-text' : ''}`}>
                {show(c.leftMicros)}
              </td>
              <td className="num">{show(c.reservedMicros)}</td>
              <td className="num">{show(c.gatewayBalanceMicros)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="toolbar" onSubmit={(e) => void submit(e)} aria-label="Record credit">
        <Field id="c-tenant" label="Tenant to credit">
          <select id="c-tenant" value={chosen} onChange={(e) => setTenantId(e.target.value)}>
            {credit.map((c) => (
              <option key={c.tenantId} value={c.tenantId}>
                {nameOf(c.tenantId)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="c-kind" label="Entry">
          <select id="c-kind" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
            <option value="top_up">Top-up</option>
            <option value="refund">Refund</option>
            <option value="adjustment">Adjustment (±)</option>
          </select>
        </Field>
        <TextField
          id="c-amount"
          label={`Amount (${currency})`}
          error={errors.amountMicros}
          inputMode="decimal"
          value={amount}
          onChange={setAmount}
        />
        <TextField
          id="c-ref"
          label="Reference"
          hint="The payment id: the same one twice counts once."
          error={errors.reference}
          value={reference}
          onChange={setReference}
        />
        <TextField id="c-note" label="Note" value={note} onChange={setNote} />
        <button className="primary" type="submit" disabled={!chosen}>
          Record
        </button>
      </form>
      <ErrorNote text={message} />
    </section>
  )
}
