/**
 * The tenant form's billing part (kept apart so the tenant page can place it): prepaid or postpaid, the buyer's
 * details printed on invoices, the tax rate or reverse charge, the low-credit threshold; and the upstream cost beside
 * every price with a warning at or below cost.
 */
import { useEffect } from 'react'
import type { CaptchaType } from '@shared/captcha'
import { formatMoney } from '@shared/money'
import { formatMoneyDisplay } from '@shared/money-display'
import { DEFAULT_TENANT_BILLING, type TenantBilling } from '@shared/tenant-billing'
import { parseMoneyInput } from '@shared/typed-numbers'
import { RadioChoices, TextField } from '../../components/form-fields'
import { Field } from '../../components/ui'
import { useCurrency } from '../../stores/currency'
import { useSettings } from '../../stores/settings'

const MODES = [
  ['postpaid', 'Postpaid: invoiced monthly (optional budget)'],
  ['prepaid', 'Prepaid: solves draw on credit bought up front and stop at zero'],
] as const

/** The operator's cost prices (Settings), loaded once for the form. */
function useCostPrices(): Record<CaptchaType, number> | null {
  const settings = useSettings((s) => s.settings)
  const load = useSettings((s) => s.load)
  useEffect(() => {
    if (!settings) void load()
  }, [settings, load])
  return settings?.costPrices ?? null
}

/** "cost $0.002", and a warning when the price is at or below it. */
export function CostHint({ type, price }: { type: CaptchaType; price: string }) {
  const costs = useCostPrices()
  const currency = useCurrency((s) => s.currency)
  if (!costs) return null
  const cost = costs[type] ?? 0
  const p = parseMoneyInput(price, true)
  const below = p !== null && p <= cost
  return (
    <span className={below ? 'warn-text' : undefined} data-testid={`cost-${type}`}>
      Upstream cost {formatMoneyDisplay(cost, currency, { style: 'unit' })}
      {below ? ' — this price is at or below cost: no margin' : ''}
    </span>
  )
}

/** The markup field's hint: a warning at 0 %. */
export function MarkupHint({ percent }: { percent: string }) {
  const n = Number(percent)
  return Number.isFinite(n) && n <= 0 ? (
    <span className="warn-text">A markup of 0 % bills the upstream cost: no margin.</span>
  ) : (
    <span>{`${percent || '0'} means cost × ${(1 + (Number(percent) || 0) / 100).toFixed(2)}.`}</span>
  )
}

/** A new tenant's price plan from Settings → default markup (the list prices when none is set). */
export function defaultPlanDraft(): { planKind: 'unit' | 'markup'; markupPercent: string } | null {
  const bps = useSettings.getState().settings?.defaultMarkupBps
  return bps === undefined || bps === null ? null : { planKind: 'markup', markupPercent: String(bps / 100) }
}

export function TenantBillingSection({
  value,
  onChange,
  errors,
}: {
  value: TenantBilling | undefined
  onChange: (v: TenantBilling) => void
  errors: Record<string, string>
}) {
  const v = value ?? DEFAULT_TENANT_BILLING
  const currency = useCurrency((s) => s.currency)
  const set = (patch: Partial<TenantBilling>) => onChange({ ...v, ...patch })
  const buyer = (patch: Partial<TenantBilling['buyer']>) => set({ buyer: { ...v.buyer, ...patch } })
  const err = (k: string) => errors[`billing.${k}`] ?? null
  /** The id, label, error and value of one of the buyer's details. */
  const buyerField = (key: keyof TenantBilling['buyer'], id: string, label: string) => ({
    id,
    label,
    error: err(`buyer.${key}`),
    value: v.buyer[key],
    onChange: (text: string) => buyer({ [key]: text }),
  })
  return (
    <fieldset data-testid="tenant-billing">
      <legend>Billing</legend>
      <RadioChoices name="billing-mode" value={v.mode} onChange={(mode) => set({ mode })} options={MODES} />
      {v.mode === 'prepaid' ? (
        <Field id="tb-low" label={`Low-credit alert below (${currency})`} error={err('lowCreditMicros')}>
          <input
            id="tb-low"
            inputMode="decimal"
            defaultValue={formatMoney(v.lowCreditMicros, 2)}
            onBlur={(e) => {
              // Not an amount: left as it was; the field shows the stored value again on the next render.
              const micros = parseMoneyInput(e.target.value, true)
              if (micros !== null) set({ lowCreditMicros: Math.max(0, micros) })
            }}
          />
        </Field>
      ) : null}
      <TextField {...buyerField('legalName', 'tb-legal', 'Buyer’s legal name (on invoices)')} />
      <TextField multiline rows={3} {...buyerField('address', 'tb-address', 'Buyer’s address')} />
      <TextField {...buyerField('taxId', 'tb-taxid', 'Buyer’s tax id')} />
      <TextField type="email" {...buyerField('email', 'tb-email', 'Invoice e-mail')} />
      <Field id="tb-tax" label="Tax rate (%)" error={err('taxRateBps')}>
        <input
          id="tb-tax"
          inputMode="decimal"
          disabled={v.reverseCharge}
          value={String(v.taxRateBps / 100)}
          onChange={(e) => {
            const n = Number(e.target.value)
            if (Number.isFinite(n) && n >= 0 && n <= 100) set({ taxRateBps: Math.round(n * 100) })
          }}
        />
      </Field>
      <label className="check">
        <input
          type="checkbox"
          checked={v.reverseCharge}
          onChange={(e) =>
            set({ reverseCharge: e.target.checked, taxRateBps: e.target.checked ? 0 : v.taxRateBps })
          }
        />{' '}
        Reverse charge (no tax; the note is printed on the invoice)
      </label>
    </fieldset>
  )
}
