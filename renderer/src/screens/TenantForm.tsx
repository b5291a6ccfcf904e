/** Create or edit one tenant: limits (explained as they are typed), time zone, price plan, key mode. */
import { useState, type FormEvent } from 'react'
import { CAPTCHA_TYPES, CAPTCHA_TYPE_LABELS } from '@shared/captcha'
import { parseMoney } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import { canonicalTimeZone, zoneClockName } from '@shared/time-zones'
import { TimeZoneField } from '../components/time-zone-field'
import { ErrorNote, Field, Screen, fieldSummary, money, useCurrencyCode, useNow } from '../components/ui'
import { useTenants } from '../stores/tenants'
import { budgetHint, concurrentHint, dailyHint, rpmHint } from './tenant/limit-hints'
import { CostHint, defaultPlanDraft, MarkupHint, TenantBillingSection } from './billing/TenantBillingSection'
import { controlIdOf, draftOf, toTenantInput, type TenantDraft } from './tenant-draft'

function budgetText(text: string): string | null {
  try {
    return text.trim() ? money(parseMoney(text)) : null
  } catch {
    return null
  }
}

export function TenantForm({ tenant, onDone }: { tenant: Tenant | null; onDone: (t: Tenant) => void }) {
  const { create, update } = useTenants()
  const [d, setD] = useState<TenantDraft>(() => ({
    ...draftOf(tenant),
    ...(tenant ? {} : defaultPlanDraft()),
  }))
  const [billing, setBilling] = useState(tenant?.billing)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [summary, setSummary] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const set = <K extends keyof TenantDraft>(k: K, v: TenantDraft[K]) => setD((x) => ({ ...x, [k]: v }))
  const currency = useCurrencyCode()
  const now = useNow(true, 60_000)
  const zone = canonicalTimeZone(d.timezone)
  const zoneName = zone ? zoneClockName(zone, now).replace(/ time$/, '') : 'the tenant’s'

  function showErrors(e: Record<string, string>, message: string) {
    setErrors(e)
    setSummary(fieldSummary(e, message))
    const first = Object.keys(e)[0]
    if (first) document.getElementById(controlIdOf(first))?.focus()
  }

  async function submit(e: FormEvent) {
    e.preventDefault()
    const { input, errors: local } = toTenantInput(d)
    if (!input) return showErrors(local, Object.values(local)[0]!)
    setBusy(true)
    setErrors({})
    setSummary(null)
    const withBilling = billing ? { ...input, billing } : input
    const r = tenant ? await update(tenant.id, withBilling) : await create(withBilling)
    setBusy(false)
    if (r.ok) onDone(r.value)
    else showErrors(r.fields, r.message)
  }

  const err = (path: string) => errors[path]
  return (
    <Screen
      title={tenant ? `Edit ${tenant.name}` : 'New tenant'}
      actions={
        <a className="button" href={tenant ? `#/tenants/${tenant.id}` : '#/tenants'}>
          {tenant ? 'Back to the tenant' : 'Back to the list'}
        </a>
      }
    >
      <form
        className="tenant-form"
        onSubmit={submit}
        noValidate
        aria-describedby={summary ? 'tenant-form-summary' : undefined}
      >
        <div className="form-grid">
          <Field id="t-name" label="Name" error={err('name')} hint="Shown on invoices.">
            <input
              id="t-name"
              value={d.name}
              onChange={(e) => set('name', e.target.value)}
              required
              maxLength={100}
            />
          </Field>
          <TimeZoneField
            id="t-tz"
            value={d.timezone}
            onChange={(v) => set('timezone', v)}
            error={err('timezone')}
            purpose="Days and months (limits, invoices) follow this zone."
          />
          <fieldset>
            <legend>Upstream key</legend>
            <label className="radio">
              <input
                id="t-keymode-shared"
                type="radio"
                name="keymode"
                checked={d.keyMode === 'shared'}
                onChange={() => set('keyMode', 'shared')}
              />
              <span>A fair share of the platform key’s threads</span>
            </label>
            <label className="radio">
              <input
                type="radio"
                name="keymode"
                checked={d.keyMode === 'own'}
                onChange={() => set('keyMode', 'own')}
              />
              <span>The tenant’s own upstream key (you set it on the tenant’s page next)</span>
            </label>
          </fieldset>
        </div>
        <div className="form-grid">
          <fieldset>
            <legend>Limits (empty = no limit)</legend>
            <Field
              id="t-rpm"
              label="Requests per minute"
              error={err('limits.requestsPerMinute')}
              hint={rpmHint(d.rpm)}
            >
              <input
                id="t-rpm"
                inputMode="numeric"
                value={d.rpm}
                onChange={(e) => set('rpm', e.target.value)}
              />
            </Field>
            <Field
              id="t-daily"
              label="Solves per day"
              error={err('limits.solvesPerDay')}
              hint={dailyHint(d.daily, zoneName)}
            >
              <input
                id="t-daily"
                inputMode="numeric"
                value={d.daily}
                onChange={(e) => set('daily', e.target.value)}
              />
            </Field>
            <Field
              id="t-conc"
              label="Concurrent solves"
              error={err('limits.maxConcurrent')}
              hint={concurrentHint(d.concurrent)}
            >
              <input
                id="t-conc"
                inputMode="numeric"
                value={d.concurrent}
                onChange={(e) => set('concurrent', e.target.value)}
              />
            </Field>
            <Field
              id="t-budget"
              label={`Monthly budget (${currency})`}
              error={err('limits.monthlyBudgetMicros')}
              hint={budgetHint(budgetText(d.budget))}
            >
              <input
                id="t-budget"
                inputMode="decimal"
                value={d.budget}
                onChange={(e) => set('budget', e.target.value)}
              />
            </Field>
            <Field
              id="t-weight"
              label="Share weight of the platform threads"
              error={err('shareWeight')}
              hint="A tenant with weight 2 gets twice the threads of one with weight 1 when the key is busy."
            >
              <input
                id="t-weight"
                inputMode="numeric"
                value={d.weight}
                onChange={(e) => set('weight', e.target.value)}
              />
            </Field>
            <Field
              id="t-alerts"
              label="Alert at (% of daily limit and budget)"
              error={err('alertThresholds.percents')}
            >
              <input
                id="t-alerts"
                value={d.alertPercents}
                onChange={(e) => set('alertPercents', e.target.value)}
              />
            </Field>
          </fieldset>
          <fieldset>
            <legend>Price plan</legend>
            <label className="radio">
              <input
                type="radio"
                name="plan"
                checked={d.planKind === 'unit'}
                onChange={() => set('planKind', 'unit')}
              />
              <span>A price per solve, by captcha type</span>
            </label>
            <label className="radio">
              <input
                type="radio"
                name="plan"
                checked={d.planKind === 'markup'}
                onChange={() => set('planKind', 'markup')}
              />
              <span>A markup over the upstream cost</span>
            </label>
            {d.planKind === 'unit' ? (
              CAPTCHA_TYPES.map((c) => (
                <Field
                  key={c}
                  id={`price-${c}`}
                  label={`${CAPTCHA_TYPE_LABELS[c]} (${currency} per solve)`}
                  error={err(`pricePlan.prices.${c}`)}
                  hint={<CostHint type={c} price={d.prices[c]} />}
                >
                  <input
                    id={`price-${c}`}
                    inputMode="decimal"
                    value={d.prices[c]}
                    onChange={(e) => set('prices', { ...d.prices, [c]: e.target.value })}
                  />
                </Field>
              ))
            ) : (
              <Field
                id="t-markup"
                label="Markup (%)"
                error={err('pricePlan.markupBps')}
                hint={<MarkupHint percent={d.markupPercent} />}
              >
                <input
                  id="t-markup"
                  inputMode="decimal"
                  value={d.markupPercent}
                  onChange={(e) => set('markupPercent', e.target.value)}
                />
              </Field>
            )}
            <Field
              id="t-min"
              label={`Monthly minimum (${currency}, optional)`}
              error={err('pricePlan.monthlyMinimumMicros')}
              hint="Billed when the month’s usage comes to less."
            >
              <input
                id="t-min"
                inputMode="decimal"
                value={d.minimum}
                onChange={(e) => set('minimum', e.target.value)}
              />
            </Field>
          </fieldset>
          <TenantBillingSection value={billing} onChange={setBilling} errors={errors} />
          <Field id="t-notes" label="Notes" error={err('notes')}>
            <textarea
              id="t-notes"
              value={d.notes}
              onChange={(e) => set('notes', e.target.value)}
              maxLength={2000}
            />
          </Field>
        </div>
        <ErrorNote text={summary} id="tenant-form-summary" />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : tenant ? 'Save changes' : 'Create tenant'}
          </button>
          <a className="button" href={tenant ? `#/tenants/${tenant.id}` : '#/tenants'}>
            Cancel
          </a>
        </div>
      </form>
    </Screen>
  )
}
