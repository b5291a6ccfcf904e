/** Create or edit one tenant: limits (explained as they are typed), time zone, price plan, key mode. */
import { useState, type FormEvent, type ReactNode } from 'react'
import { CAPTCHA_TYPES, CAPTCHA_TYPE_LABELS } from '@shared/captcha'
import type { Tenant } from '@shared/tenant'
import { canonicalTimeZone, zoneClockName } from '@shared/time-zones'
import { parseMoneyInput } from '@shared/typed-numbers'
import { RadioChoices, TextField } from '../components/form-fields'
import { TimeZoneField } from '../components/time-zone-field'
import { ErrorNote, Screen, money, useCurrencyCode, useFieldErrors, useNow } from '../components/ui'
import { useTenants } from '../stores/tenants'
import { budgetHint, concurrentHint, dailyHint, rpmHint } from './tenant/limit-hints'
import { CostHint, defaultPlanDraft, MarkupHint, TenantBillingSection } from './billing/TenantBillingSection'
import { controlIdOf, draftOf, toTenantInput, type TenantDraft } from './tenant-draft'

const KEY_MODES = [
  ['shared', 'A fair share of the platform key’s threads'],
  ['own', 'The tenant’s own upstream key (you set it on the tenant’s page next)'],
] as const
const PLAN_KINDS = [
  ['unit', 'A price per solve, by captcha type'],
  ['markup', 'A markup over the upstream cost'],
] as const
type TextKey = Exclude<keyof TenantDraft, 'keyMode' | 'planKind' | 'prices'>

function budgetText(text: string): string | null {
  const micros = text.trim() ? parseMoneyInput(text, true) : null
  return micros === null ? null : money(micros)
}

export function TenantForm({ tenant, onDone }: { tenant: Tenant | null; onDone: (t: Tenant) => void }) {
  const { create, update } = useTenants()
  const [d, setD] = useState<TenantDraft>(() => ({
    ...draftOf(tenant),
    ...(tenant ? {} : defaultPlanDraft()),
  }))
  const [billing, setBilling] = useState(tenant?.billing)
  const { errors, summary, show: showErrors, clear } = useFieldErrors(controlIdOf)
  const [busy, setBusy] = useState(false)
  const set = <K extends keyof TenantDraft>(k: K, v: TenantDraft[K]) => setD((x) => ({ ...x, [k]: v }))
  const currency = useCurrencyCode()
  const now = useNow(true, 60_000)
  const zone = canonicalTimeZone(d.timezone)
  const zoneName = zone ? zoneClockName(zone, now).replace(/ time$/, '') : 'the tenant’s'

  async function submit(e: FormEvent) {
    e.preventDefault()
    const { input, errors: local } = toTenantInput(d)
    if (!input) return showErrors(local, Object.values(local)[0]!)
    setBusy(true)
    clear()
    const withBilling = billing ? { ...input, billing } : input
    const r = tenant ? await update(tenant.id, withBilling) : await create(withBilling)
    setBusy(false)
    if (r.ok) onDone(r.value)
    else showErrors(r.fields, r.message)
  }

  const err = (path: string) => errors[path]
  /** A text field for one draft key; its id is the one errors on `path` focus. */
  const text = (
    key: TextKey,
    path: string,
    label: ReactNode,
    hint?: ReactNode,
    inputMode?: 'numeric' | 'decimal',
  ) => (
    <TextField
      id={controlIdOf(path)}
      label={label}
      error={err(path)}
      hint={hint}
      inputMode={inputMode}
      value={d[key]}
      onChange={(v) => set(key, v)}
    />
  )
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
          <TextField
            id="t-name"
            label="Name"
            error={err('name')}
            hint="Shown on invoices."
            value={d.name}
            onChange={(v) => set('name', v)}
            required
            maxLength={100}
          />
          <TimeZoneField
            id="t-tz"
            value={d.timezone}
            onChange={(v) => set('timezone', v)}
            error={err('timezone')}
            purpose="Days and months (limits, invoices) follow this zone."
          />
          <fieldset>
            <legend>Upstream key</legend>
            <RadioChoices
              name="keymode"
              firstId={controlIdOf('keyMode')}
              value={d.keyMode}
              onChange={(v) => set('keyMode', v)}
              options={KEY_MODES}
            />
          </fieldset>
        </div>
        <div className="form-grid">
          <fieldset>
            <legend>Limits (empty = no limit)</legend>
            {text('rpm', 'limits.requestsPerMinute', 'Requests per minute', rpmHint(d.rpm), 'numeric')}
            {text('daily', 'limits.solvesPerDay', 'Solves per day', dailyHint(d.daily, zoneName), 'numeric')}
            {text(
              'concurrent',
              'limits.maxConcurrent',
              'Concurrent solves',
              concurrentHint(d.concurrent),
              'numeric',
            )}
            {text(
              'budget',
              'limits.monthlyBudgetMicros',
              `Monthly budget (${currency})`,
              budgetHint(budgetText(d.budget)),
              'decimal',
            )}
            {text(
              'weight',
              'shareWeight',
              'Share weight of the platform threads',
              'A tenant with weight 2 gets twice the threads of one with weight 1 when the key is busy.',
              'numeric',
            )}
            {text('alertPercents', 'alertThresholds.percents', 'Alert at (% of daily limit and budget)')}
          </fieldset>
          <fieldset>
            <legend>Price plan</legend>
            <RadioChoices
              name="plan"
              value={d.planKind}
              onChange={(v) => set('planKind', v)}
              options={PLAN_KINDS}
            />
            {d.planKind === 'unit'
              ? CAPTCHA_TYPES.map((c) => (
                  <TextField
                    key={c}
                    id={controlIdOf(`pricePlan.prices.${c}`)}
                    label={`${CAPTCHA_TYPE_LABELS[c]} (${currency} per solve)`}
                    error={err(`pricePlan.prices.${c}`)}
                    hint={<CostHint type={c} price={d.prices[c]} />}
                    inputMode="decimal"
                    value={d.prices[c]}
                    onChange={(v) => set('prices', { ...d.prices, [c]: v })}
                  />
                ))
              : text(
                  'markupPercent',
                  'pricePlan.markupBps',
                  'Markup (%)',
                  <MarkupHint percent={d.markupPercent} />,
                  'decimal',
                )}
            {text(
              'minimum',
              'pricePlan.monthlyMinimumMicros',
              `Monthly minimum (${currency}, optional)`,
              'Billed when the month’s usage comes to less.',
              'decimal',
            )}
          </fieldset>
          <TenantBillingSection value={billing} onChange={setBilling} errors={errors} />
          <TextField
            multiline
            id="t-notes"
            label="Notes"
            error={err('notes')}
            value={d.notes}
            onChange={(v) => set('notes', v)}
            maxLength={2000}
          />
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
