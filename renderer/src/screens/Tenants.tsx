import { useEffect, useMemo, useState, type FormEvent } from 'react'
import { CAPTCHA_TYPES, CAPTCHA_TYPE_LABELS, DEFAULT_PRICES, type CaptchaType } from '@shared/captcha'
import { formatMoney, parseMoney } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import { call, messageOf } from '../api/client'
import { ErrorNote, Field, Screen } from '../components/ui'
import { useTenants } from '../stores/tenants'
import { useToasts } from '../stores/toasts'

const PAGE = 50
const ZONES: string[] = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone')
  } catch {
    return ['UTC']
  }
})()

interface KeyInfo {
  scope: string
  tenantId: string | null
  label: string
  last4: string
  fingerprint: string
}

export function Tenants() {
  const { tenants, load, search, setSearch, error, setStatus } = useTenants()
  const [page, setPage] = useState(0)
  const [editing, setEditing] = useState<Tenant | 'new' | null>(null)
  const [keys, setKeys] = useState<KeyInfo[]>([])
  useEffect(() => {
    void load()
    call('vault.describeKeys', {}).then(
      (k) => setKeys(k as KeyInfo[]),
      () => setKeys([]),
    )
  }, [load])
  const filtered = useMemo(() => {
    const q = search.trim().toLowerCase()
    return q ? tenants.filter((t) => t.name.toLowerCase().includes(q) || t.id.includes(q)) : tenants
  }, [tenants, search])
  const pages = Math.max(1, Math.ceil(filtered.length / PAGE))
  const shown = filtered.slice(page * PAGE, page * PAGE + PAGE)

  if (editing) {
    return (
      <TenantForm
        tenant={editing === 'new' ? null : editing}
        keyInfo={editing === 'new' ? undefined : keys.find((k) => k.tenantId === editing.id)}
        onDone={() => {
          setEditing(null)
          call('vault.describeKeys', {}).then(
            (k) => setKeys(k as KeyInfo[]),
            () => undefined,
          )
        }}
      />
    )
  }
  return (
    <Screen
      title="Tenants"
      actions={
        <button className="primary" onClick={() => setEditing('new')}>
          Add tenant
        </button>
      }
    >
      <ErrorNote text={error} />
      <div className="toolbar">
        <label htmlFor="tenant-search" className="sr-only">
          Search tenants
        </label>
        <input
          id="tenant-search"
          type="search"
          placeholder="Search by name or id"
          value={search}
          onChange={(e) => {
            setSearch(e.target.value)
            setPage(0)
          }}
        />
        <span className="muted" aria-live="polite">
          {filtered.length} tenant{filtered.length === 1 ? '' : 's'}
        </span>
      </div>
      <table className="grid" data-testid="tenant-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col">Key</th>
            <th scope="col">Limits</th>
            <th scope="col">Time zone</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((t) => {
            const k = keys.find((x) => x.tenantId === t.id)
            return (
              <tr key={t.id}>
                <th scope="row">
                  {t.name}
                  <div className="muted small">{t.id}</div>
                </th>
                <td>
                  <span className={`tag ${t.status}`}>{t.status}</span>
                </td>
                <td>
                  {t.keyMode === 'shared' ? (
                    'shared platform key'
                  ) : k ? (
                    `own •••• ${k.last4}`
                  ) : (
                    <span className="bad-text">own — not set</span>
                  )}
                </td>
                <td className="small">
                  {t.limits.requestsPerMinute ? `${t.limits.requestsPerMinute}/min · ` : ''}
                  {t.limits.solvesPerDay ? `${t.limits.solvesPerDay}/day · ` : ''}
                  {t.limits.maxConcurrent ? `${t.limits.maxConcurrent} at once · ` : ''}
                  {t.limits.monthlyBudgetMicros !== undefined
                    ? `budget ${formatMoney(t.limits.monthlyBudgetMicros, 2)}`
                    : ''}
                  {Object.keys(t.limits).length === 0 ? <span className="muted">none</span> : null}
                </td>
                <td>{t.timezone}</td>
                <td className="row-actions">
                  <button onClick={() => setEditing(t)}>Edit</button>
                  {t.status === 'active' ? (
                    <button onClick={() => void setStatus(t.id, 'suspend')}>Suspend</button>
                  ) : (
                    <button onClick={() => void setStatus(t.id, 'resume')}>Resume</button>
                  )}
                  <button
                    className="danger"
                    onClick={() => {
                      if (
                        window.confirm(`Delete tenant “${t.name}”? Its usage history and invoices are kept.`)
                      )
                        void setStatus(t.id, 'delete')
                    }}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            )
          })}
          {shown.length === 0 ? (
            <tr>
              <td colSpan={6} className="muted">
                {tenants.length === 0
                  ? 'No tenants yet. Add your first one.'
                  : 'No tenant matches that search.'}
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {pages > 1 ? (
        <nav className="pager" aria-label="Pages">
          <button disabled={page === 0} onClick={() => setPage(page - 1)}>
            Previous
          </button>
          <span>
            Page {page + 1} of {pages}
          </span>
          <button disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
            Next
          </button>
        </nav>
      ) : null}
    </Screen>
  )
}

function optionalInt(v: string): number | undefined {
  return v.trim() === '' ? undefined : Number(v)
}

function TenantForm({
  tenant,
  keyInfo,
  onDone,
}: {
  tenant: Tenant | null
  keyInfo: KeyInfo | undefined
  onDone: () => void
}) {
  const { create, update } = useTenants()
  const push = useToasts((s) => s.push)
  const [name, setName] = useState(tenant?.name ?? '')
  const [timezone, setTimezone] = useState(
    tenant?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC',
  )
  const [keyMode, setKeyMode] = useState<'own' | 'shared'>(tenant?.keyMode ?? 'shared')
  const [rpm, setRpm] = useState(String(tenant?.limits.requestsPerMinute ?? ''))
  const [daily, setDaily] = useState(String(tenant?.limits.solvesPerDay ?? ''))
  const [conc, setConc] = useState(String(tenant?.limits.maxConcurrent ?? ''))
  const [budget, setBudget] = useState(
    tenant?.limits.monthlyBudgetMicros !== undefined ? formatMoney(tenant.limits.monthlyBudgetMicros, 2) : '',
  )
  const [planKind, setPlanKind] = useState<'unit' | 'markup'>(tenant?.pricePlan.kind ?? 'unit')
  const [prices, setPrices] = useState<Record<CaptchaType, string>>(() => {
    const base = tenant?.pricePlan.kind === 'unit' ? tenant.pricePlan.prices : DEFAULT_PRICES
    return Object.fromEntries(
      CAPTCHA_TYPES.map((t) => [t, formatMoney(base[t] ?? DEFAULT_PRICES[t], 6)]),
    ) as Record<CaptchaType, string>
  })
  const [markup, setMarkup] = useState(
    tenant?.pricePlan.kind === 'markup' ? String(tenant.pricePlan.markupBps / 100) : '50',
  )
  const [minimum, setMinimum] = useState(
    tenant?.pricePlan.monthlyMinimumMicros !== undefined
      ? formatMoney(tenant.pricePlan.monthlyMinimumMicros, 2)
      : '',
  )
  const [weight, setWeight] = useState(String(tenant?.shareWeight ?? 1))
  const [notes, setNotes] = useState(tenant?.notes ?? '')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [apiKey, setApiKey] = useState('')
  const [gatewayKey, setGatewayKey] = useState<string | null>(null)

  async function submit(e: FormEvent) {
    e.preventDefault()
    setError(null)
    let input
    try {
      input = {
        name,
        timezone,
        keyMode,
        limits: {
          requestsPerMinute: optionalInt(rpm),
          solvesPerDay: optionalInt(daily),
          maxConcurrent: optionalInt(conc),
          monthlyBudgetMicros: budget.trim() === '' ? undefined : parseMoney(budget),
        },
        pricePlan:
          planKind === 'unit'
            ? {
                kind: 'unit' as const,
                prices: Object.fromEntries(CAPTCHA_TYPES.map((t) => [t, parseMoney(prices[t])])) as Record<
                  CaptchaType,
                  number
                >,
                monthlyMinimumMicros: minimum.trim() === '' ? undefined : parseMoney(minimum),
              }
            : {
                kind: 'markup' as const,
                markupBps: Math.round(Number(markup) * 100),
                monthlyMinimumMicros: minimum.trim() === '' ? undefined : parseMoney(minimum),
              },
        shareWeight: Number(weight),
        notes,
      }
    } catch (err) {
      return setError(messageOf(err))
    }
    setBusy(true)
    const r = tenant ? await update(tenant.id, input) : await create(input)
    setBusy(false)
    if (typeof r === 'string') setError(r)
    else onDone()
  }

  async function saveKey() {
    if (!tenant) return
    try {
      const info = (await call('vault.setTenantKey', {
        tenantId: tenant.id,
        key: apiKey.trim(),
        label: `${tenant.name} key`,
      })) as KeyInfo
      setApiKey('')
      push('success', `Key saved (•••• ${info.last4}).`)
    } catch (err) {
      setError(messageOf(err))
    }
  }

  async function issueGatewayKey() {
    if (!tenant) return
    try {
      const r = (await call('gateway.issueKey', { tenantId: tenant.id, graceHours: 24 })) as { key: string }
      setGatewayKey(r.key)
    } catch (err) {
      setError(messageOf(err))
    }
  }

  return (
    <Screen
      title={tenant ? `Edit ${tenant.name}` : 'New tenant'}
      actions={<button onClick={onDone}>Back to the list</button>}
    >
      <form className="form-grid" onSubmit={submit} noValidate>
        <Field id="t-name" label="Name">
          <input
            id="t-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            required
            maxLength={100}
          />
        </Field>
        <Field id="t-tz" label="Time zone" hint="Days and months (limits, invoices) follow this zone.">
          <input id="t-tz" list="zones" value={timezone} onChange={(e) => setTimezone(e.target.value)} />
          <datalist id="zones">
            {ZONES.map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
        </Field>
        <fieldset>
          <legend>Upstream key</legend>
          <label className="radio">
            <input
              type="radio"
              name="keymode"
              checked={keyMode === 'shared'}
              onChange={() => setKeyMode('shared')}
            />{' '}
            A share of the platform key
          </label>
          <label className="radio">
            <input
              type="radio"
              name="keymode"
              checked={keyMode === 'own'}
              onChange={() => setKeyMode('own')}
            />{' '}
            The tenant’s own key
          </label>
        </fieldset>
        <fieldset>
          <legend>Limits (empty = no limit)</legend>
          <Field id="t-rpm" label="Requests per minute">
            <input id="t-rpm" inputMode="numeric" value={rpm} onChange={(e) => setRpm(e.target.value)} />
          </Field>
          <Field id="t-daily" label="Solves per day">
            <input
              id="t-daily"
              inputMode="numeric"
              value={daily}
              onChange={(e) => setDaily(e.target.value)}
            />
          </Field>
          <Field id="t-conc" label="Concurrent solves">
            <input id="t-conc" inputMode="numeric" value={conc} onChange={(e) => setConc(e.target.value)} />
          </Field>
          <Field id="t-budget" label="Monthly budget (USD)">
            <input
              id="t-budget"
              inputMode="decimal"
              value={budget}
              onChange={(e) => setBudget(e.target.value)}
            />
          </Field>
          <Field id="t-weight" label="Share weight of the platform threads">
            <input
              id="t-weight"
              inputMode="numeric"
              value={weight}
              onChange={(e) => setWeight(e.target.value)}
            />
          </Field>
        </fieldset>
        <fieldset>
          <legend>Price plan</legend>
          <label className="radio">
            <input
              type="radio"
              name="plan"
              checked={planKind === 'unit'}
              onChange={() => setPlanKind('unit')}
            />{' '}
            Price per solve
          </label>
          <label className="radio">
            <input
              type="radio"
              name="plan"
              checked={planKind === 'markup'}
              onChange={() => setPlanKind('markup')}
            />{' '}
            Markup over cost
          </label>
          {planKind === 'unit' ? (
            CAPTCHA_TYPES.map((t) => (
              <Field key={t} id={`price-${t}`} label={`${CAPTCHA_TYPE_LABELS[t]} (USD per solve)`}>
                <input
                  id={`price-${t}`}
                  inputMode="decimal"
                  value={prices[t]}
                  onChange={(e) => setPrices({ ...prices, [t]: e.target.value })}
                />
              </Field>
            ))
          ) : (
            <Field id="t-markup" label="Markup (%)">
              <input
                id="t-markup"
                inputMode="decimal"
                value={markup}
                onChange={(e) => setMarkup(e.target.value)}
              />
            </Field>
          )}
          <Field id="t-min" label="Monthly minimum (USD, optional)">
            <input
              id="t-min"
              inputMode="decimal"
              value={minimum}
              onChange={(e) => setMinimum(e.target.value)}
            />
          </Field>
        </fieldset>
        <Field id="t-notes" label="Notes">
          <textarea id="t-notes" value={notes} onChange={(e) => setNotes(e.target.value)} maxLength={2000} />
        </Field>
        <ErrorNote text={error} />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : tenant ? 'Save changes' : 'Create tenant'}
          </button>
        </div>
      </form>
      {tenant ? (
        <div className="cards">
          <div className="card">
            <h2>Tenant’s own upstream key</h2>
            <p>
              {keyInfo
                ? `Set: ${keyInfo.label} •••• ${keyInfo.last4} (fingerprint ${keyInfo.fingerprint})`
                : 'Not set.'}
            </p>
            <Field id="t-apikey" label={keyInfo ? 'Replace with a new key' : 'API key'}>
              <input
                id="t-apikey"
                type="password"
                autoComplete="off"
                value={apiKey}
                onChange={(e) => setApiKey(e.target.value)}
              />
            </Field>
            <button onClick={() => void saveKey()} disabled={apiKey.trim().length === 0}>
              Save key
            </button>
          </div>
          <div className="card">
            <h2>Gateway key</h2>
            <p>
              The key this tenant uses with the 2captcha-compatible gateway. Issuing a new one keeps the old
              one working for 24 hours.
            </p>
            {gatewayKey ? (
              <p role="status">
                Copy it now, it is shown only once: <code data-testid="gateway-key">{gatewayKey}</code>
              </p>
            ) : null}
            <button onClick={() => void issueGatewayKey()}>Issue gateway key</button>
          </div>
        </div>
      ) : null}
    </Screen>
  )
}
