/** Create or edit one tenant: limits, time zone, price plan, key mode; its upstream key and gateway key. */
import { useMemo, useState, type FormEvent } from 'react'
import { CAPTCHA_TYPES, CAPTCHA_TYPE_LABELS } from '@shared/captcha'
import type { Tenant } from '@shared/tenant'
import { confirm } from '../components/confirm'
import { ErrorNote, Field, Screen, fieldSummary, formatTime } from '../components/ui'
import { useTenants } from '../stores/tenants'
import { controlIdOf, draftOf, TIME_ZONES, toTenantInput, type TenantDraft } from './tenant-draft'

function nowIn(zone: string): string | null {
  try {
    return new Intl.DateTimeFormat(undefined, {
      timeZone: zone,
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    }).format(new Date())
  } catch {
    return null
  }
}

export function TenantForm({ tenant, onDone }: { tenant: Tenant | null; onDone: () => void }) {
  const { create, update } = useTenants()
  const [d, setD] = useState<TenantDraft>(() => draftOf(tenant))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [summary, setSummary] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const set = <K extends keyof TenantDraft>(k: K, v: TenantDraft[K]) => setD((x) => ({ ...x, [k]: v }))
  const zoneNow = useMemo(() => nowIn(d.timezone.trim()), [d.timezone])

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
    const r = tenant ? await update(tenant.id, input) : await create(input)
    setBusy(false)
    if (r.ok) onDone()
    else showErrors(r.fields, r.message)
  }

  const err = (path: string) => errors[path]
  return (
    <Screen
      title={tenant ? `Edit ${tenant.name}` : 'New tenant'}
      actions={
        <a className="button" href="#/tenants">
          Back to the list
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
          <Field
            id="t-tz"
            label="Time zone"
            error={err('timezone')}
            hint={`Days and months (limits, invoices) follow this zone.${zoneNow ? ` Now there: ${zoneNow}.` : ''} Type to search ${TIME_ZONES.length} zones.`}
          >
            <input
              id="t-tz"
              list="zones"
              autoComplete="off"
              spellCheck={false}
              value={d.timezone}
              onChange={(e) => set('timezone', e.target.value)}
            />
          </Field>
          <datalist id="zones">
            {TIME_ZONES.map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
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
              <span>The tenant’s own upstream key (set it below after saving)</span>
            </label>
          </fieldset>
        </div>
        <div className="form-grid">
          <fieldset>
            <legend>Limits (empty = no limit)</legend>
            <Field id="t-rpm" label="Requests per minute" error={err('limits.requestsPerMinute')}>
              <input
                id="t-rpm"
                inputMode="numeric"
                value={d.rpm}
                onChange={(e) => set('rpm', e.target.value)}
              />
            </Field>
            <Field id="t-daily" label="Solves per day" error={err('limits.solvesPerDay')}>
              <input
                id="t-daily"
                inputMode="numeric"
                value={d.daily}
                onChange={(e) => set('daily', e.target.value)}
              />
            </Field>
            <Field id="t-conc" label="Concurrent solves" error={err('limits.maxConcurrent')}>
              <input
                id="t-conc"
                inputMode="numeric"
                value={d.concurrent}
                onChange={(e) => set('concurrent', e.target.value)}
              />
            </Field>
            <Field id="t-budget" label="Monthly budget (USD)" error={err('limits.monthlyBudgetMicros')}>
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
                  label={`${CAPTCHA_TYPE_LABELS[c]} (USD per solve)`}
                  error={err(`pricePlan.prices.${c}`)}
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
                hint="50 means cost × 1.5."
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
              label="Monthly minimum (USD, optional)"
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
          <a className="button" href="#/tenants">
            Cancel
          </a>
        </div>
      </form>
      {tenant ? (
        <div className="cards wide">
          <UpstreamKeyCard tenant={tenant} />
          <GatewayKeyCard tenant={tenant} />
        </div>
      ) : null}
    </Screen>
  )
}

function UpstreamKeyCard({ tenant }: { tenant: Tenant }) {
  const keyInfo = useTenants((s) => s.keys.get(tenant.id))
  const { setKey, removeKey } = useTenants()
  const [key, setKeyText] = useState('')
  const [label, setLabel] = useState(keyInfo?.label ?? `${tenant.name} key`)
  const [error, setError] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  async function save(e: FormEvent) {
    e.preventDefault()
    if (!/^[A-Za-z0-9]{32}$/.test(key.trim())) {
      setError({
        key: 'An upstream API key is 32 letters and digits: copy it from the provider’s dashboard.',
      })
      document.getElementById('t-apikey')?.focus()
      return
    }
    setBusy(true)
    const r = await setKey(tenant.id, key.trim(), label.trim())
    setBusy(false)
    if (r.ok) {
      setKeyText('')
      setError({})
    } else setError({ ...r.fields, form: r.message })
  }
  return (
    <section className="card" aria-labelledby="own-key-title">
      <h2 id="own-key-title">Tenant’s own upstream key</h2>
      {keyInfo ? (
        <dl className="keyinfo" data-testid="tenant-key">
          <dt>Label</dt>
          <dd>{keyInfo.label}</dd>
          <dt>Key</dt>
          <dd className="mono">•••• {keyInfo.last4}</dd>
          <dt>Fingerprint</dt>
          <dd className="mono">{keyInfo.fingerprint}</dd>
          <dt>Updated</dt>
          <dd>{formatTime(Date.parse(keyInfo.updatedAt))}</dd>
        </dl>
      ) : (
        <p className="muted">
          {tenant.keyMode === 'own'
            ? 'Not set: this tenant’s solves are refused until a key is saved.'
            : 'Not set (not needed while the tenant uses the shared platform key).'}
        </p>
      )}
      <form onSubmit={save} noValidate className="stack">
        <Field id="t-keylabel" label="Label">
          <input id="t-keylabel" value={label} onChange={(e) => setLabel(e.target.value)} maxLength={80} />
        </Field>
        <Field
          id="t-apikey"
          label={keyInfo ? 'New key (rotates the current one)' : 'API key'}
          error={error.key}
          hint="Stored encrypted; never shown again in full."
        >
          <input
            id="t-apikey"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={key}
            onChange={(e) => setKeyText(e.target.value)}
          />
        </Field>
        <ErrorNote text={error.form} />
        <div className="actions">
          <button type="submit" disabled={busy || key.trim().length === 0}>
            {busy ? 'Saving…' : keyInfo ? 'Rotate key' : 'Save key'}
          </button>
          {keyInfo ? (
            <button
              type="button"
              className="danger"
              onClick={async () => {
                if (
                  await confirm({
                    title: 'Remove this tenant’s key?',
                    body: `The key •••• ${keyInfo.last4} is erased from the vault.${tenant.keyMode === 'own' ? ' The tenant’s solves are refused until a new key is saved.' : ''}`,
                    confirmLabel: 'Remove key',
                    danger: true,
                  })
                )
                  await removeKey(tenant.id)
              }}
            >
              Remove key
            </button>
          ) : null}
        </div>
      </form>
    </section>
  )
}

function GatewayKeyCard({ tenant }: { tenant: Tenant }) {
  const info = useTenants((s) => s.gatewayKeys.get(tenant.id))
  const { issueGatewayKey, revokeGatewayKey } = useTenants()
  const [fresh, setFresh] = useState<string | null>(null)
  const [grace, setGrace] = useState('24')
  const [error, setError] = useState<string | null>(null)
  async function issue() {
    const hours = Number(grace)
    if (!/^\d{1,3}$/.test(grace.trim()) || hours > 720) {
      setError('The grace period is a whole number of hours from 0 to 720.')
      return
    }
    const r = await issueGatewayKey(tenant.id, hours)
    if (r.ok) {
      setFresh(r.value)
      setError(null)
    } else setError(r.message)
  }
  return (
    <section className="card" aria-labelledby="gw-key-title">
      <h2 id="gw-key-title">Gateway key</h2>
      <p>The key this tenant puts into their 2captcha-compatible client when calling your gateway.</p>
      {info ? (
        <p data-testid="gateway-key-info">
          Current: <span className="mono">•••• {info.last4}</span>, issued {formatTime(info.createdAt)}
          {info.expiresAt ? `, expires ${formatTime(info.expiresAt)}` : ''}
        </p>
      ) : (
        <p className="muted">No gateway key issued yet.</p>
      )}
      {fresh ? (
        <div className="note ok" role="status">
          Copy it now, it is shown only once: <code data-testid="gateway-key">{fresh}</code>
        </div>
      ) : null}
      <Field id="t-grace" label="Keep the previous key working for (hours)">
        <input id="t-grace" inputMode="numeric" value={grace} onChange={(e) => setGrace(e.target.value)} />
      </Field>
      <ErrorNote text={error} />
      <div className="actions">
        <button onClick={() => void issue()}>{info ? 'Issue a new gateway key' : 'Issue gateway key'}</button>
        {info ? (
          <button
            className="danger"
            onClick={async () => {
              if (
                await confirm({
                  title: 'Revoke the gateway keys?',
                  body: 'Every gateway key of this tenant stops working at once.',
                  confirmLabel: 'Revoke',
                  danger: true,
                })
              ) {
                const r = await revokeGatewayKey(tenant.id)
                if (!r.ok) setError(r.message)
                setFresh(null)
              }
            }}
          >
            Revoke
          </button>
        ) : null}
      </div>
    </section>
  )
}
