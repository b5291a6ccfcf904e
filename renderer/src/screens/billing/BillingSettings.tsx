/**
 * Settings → Billing: the seller printed on invoices, numbering and payment terms, the CSV byte-order mark, what
 * getbalance answers without credit or budget, the upstream plan and how its cost is shared, the default markup for
 * new tenants, and the alert webhook (with its signing secret, shown once when made). Every change acts at once.
 */
import { useState, type FormEvent } from 'react'
import { formatMoney } from '@shared/money'
import type { Settings } from '@shared/settings'
import { parseMoneyInput } from '@shared/typed-numbers'
import { call, messageOf } from '../../api/client'
import { TextField } from '../../components/form-fields'
import { ErrorNote, Field } from '../../components/ui'
import { useSettings } from '../../stores/settings'

export function BillingSettingsCard({ settings }: { settings: Settings }) {
  const save = useSettings((s) => s.save)
  const [seller, setSeller] = useState(settings.seller)
  const [inv, setInv] = useState(settings.invoicing)
  const [gbMode, setGbMode] = useState(settings.gatewayBalance.mode)
  const [gbAmount, setGbAmount] = useState(formatMoney(settings.gatewayBalance.amountMicros, 2))
  const [planMode, setPlanMode] = useState(settings.costPlan.mode)
  const [planPrice, setPlanPrice] = useState(formatMoney(settings.costPlan.planPriceMicros, 2))
  const [planThreads, setPlanThreads] = useState(String(settings.costPlan.planThreads))
  const [markup, setMarkup] = useState(
    settings.defaultMarkupBps === null ? '' : String(settings.defaultMarkupBps / 100),
  )
  const [hook, setHook] = useState(settings.alertWebhook.url)
  const [secret, setSecret] = useState<string | null>(null)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [message, setMessage] = useState<string | null>(null)

  async function submit(e: FormEvent) {
    e.preventDefault()
    const errs: Record<string, string> = {}
    const amount = parseMoneyInput(gbAmount)
    if (amount === null) errs.gatewayBalance = 'An amount such as 0 or 25.00.'
    const price = parseMoneyInput(planPrice)
    if (price === null) errs.costPlan = 'A monthly price such as 99.00.'
    const threads = Number(planThreads)
    if (!Number.isInteger(threads) || threads < 1) errs.costPlan = 'Threads: a whole number, at least 1.'
    const pct = markup.trim() === '' ? null : Number(markup)
    if (pct !== null && (!Number.isFinite(pct) || pct < 0 || pct > 10_000))
      errs.defaultMarkupBps = 'A percentage such as 50, or empty for list prices.'
    setErrors(errs)
    if (Object.keys(errs).length > 0) return setMessage('Fix the marked fields.')
    const r = await save({
      seller,
      invoicing: { ...inv, paymentTermsDays: Number(inv.paymentTermsDays) },
      gatewayBalance: { mode: gbMode, amountMicros: amount! },
      costPlan: { mode: planMode, planPriceMicros: price!, planThreads: threads },
      defaultMarkupBps: pct === null ? null : Math.round(pct * 100),
      alertWebhook: { url: hook.trim() },
    })
    if (r.ok) setMessage(null)
    else {
      setErrors(Object.fromEntries(Object.entries(r.fields).map(([k, v]) => [k.split('.')[0]!, v])))
      setMessage(r.message)
    }
  }

  async function rotate() {
    try {
      setSecret((await call('alerts.webhookSecret', { rotate: true })).secret)
    } catch (err) {
      setMessage(messageOf(err))
    }
  }

  const text = (id: string, label: string, value: string, on: (v: string) => void, multi = false) =>
    multi ? (
      <TextField multiline id={id} label={label} rows={3} value={value} onChange={on} />
    ) : (
      <TextField id={id} label={label} value={value} onChange={on} />
    )

  return (
    <section className="card" aria-labelledby="billing-settings-title">
      <h2 id="billing-settings-title">Billing</h2>
      <form onSubmit={(e) => void submit(e)}>
        <fieldset>
          <legend>Seller on invoices</legend>
          {text('bs-name', 'Legal name', seller.legalName, (v) => setSeller({ ...seller, legalName: v }))}
          {text('bs-address', 'Address', seller.address, (v) => setSeller({ ...seller, address: v }), true)}
          {text('bs-tax', 'Tax id', seller.taxId, (v) => setSeller({ ...seller, taxId: v }))}
          {text(
            'bs-pay',
            'Payment instructions',
            seller.paymentInstructions,
            (v) => setSeller({ ...seller, paymentInstructions: v }),
            true,
          )}
          {text('bs-logo', 'Logo file (PNG or JPEG path, optional)', seller.logoPath, (v) =>
            setSeller({ ...seller, logoPath: v }),
          )}
        </fieldset>
        <fieldset>
          <legend>Invoices</legend>
          <TextField
            id="bs-format"
            label="Number format"
            hint="{YYYY} {YY} {MM} and {NNNNNN} (the year’s sequence)"
            error={errors.invoicing}
            value={inv.numberFormat}
            onChange={(v) => setInv({ ...inv, numberFormat: v })}
          />
          <Field id="bs-terms" label="Payment terms (days)">
            <input
              id="bs-terms"
              type="number"
              min={0}
              max={365}
              value={inv.paymentTermsDays}
              onChange={(e) => setInv({ ...inv, paymentTermsDays: Number(e.target.value) })}
            />
          </Field>
          <label className="check">
            <input
              type="checkbox"
              checked={inv.csvBom}
              onChange={(e) => setInv({ ...inv, csvBom: e.target.checked })}
            />{' '}
            Start CSV files with a UTF-8 byte-order mark (Excel)
          </label>
        </fieldset>
        <fieldset>
          <legend>getbalance for a tenant without credit or budget</legend>
          <Field id="bs-gb" label="Answer" error={errors.gatewayBalance}>
            <select id="bs-gb" value={gbMode} onChange={(e) => setGbMode(e.target.value as typeof gbMode)}>
              <option value="zero">0</option>
              <option value="amount">A fixed amount</option>
            </select>
          </Field>
          {gbMode === 'amount' ? text('bs-gb-amount', 'Amount', gbAmount, setGbAmount) : null}
        </fieldset>
        <fieldset>
          <legend>Upstream cost</legend>
          <Field id="bs-plan" label="Cost per tenant" error={errors.costPlan}>
            <select
              id="bs-plan"
              value={planMode}
              onChange={(e) => setPlanMode(e.target.value as typeof planMode)}
            >
              <option value="per_solve">Per-solve price list</option>
              <option value="thread_seconds">Plan price shared by thread-seconds</option>
            </select>
          </Field>
          {text('bs-plan-price', 'Plan price per month', planPrice, setPlanPrice)}
          {text('bs-plan-threads', 'Plan threads', planThreads, setPlanThreads)}
          <TextField
            id="bs-markup"
            label="Default markup for new tenants (%)"
            hint="Empty: new tenants get the list prices."
            error={errors.defaultMarkupBps}
            inputMode="decimal"
            value={markup}
            onChange={setMarkup}
          />
        </fieldset>
        <fieldset>
          <legend>Alert webhook</legend>
          <TextField
            id="bs-hook"
            label="URL (public address; empty: off)"
            error={errors.alertWebhook}
            value={hook}
            onChange={setHook}
          />
          <button type="button" onClick={() => void rotate()}>
            New signing secret
          </button>
          {secret ? (
            <p className="note warn" role="status">
              Signing secret (shown once): <code>{secret}</code>
            </p>
          ) : null}
        </fieldset>
        <ErrorNote text={message} />
        <button className="primary" type="submit">
          Save billing settings
        </button>
      </form>
    </section>
  )
}
