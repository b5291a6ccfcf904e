/** Settings: provider profile, base URL, timeouts, auto-lock, costs, gateway; platform key; device unlock; passphrase. */
import { useEffect, useState, type FormEvent } from 'react'
import { CAPTCHA_TYPES, type CaptchaType } from '@shared/captcha'
import { PROVIDER_PRESETS } from '@shared/provider'
import type { Settings as SettingsShape, SettingsPatch } from '@shared/settings'
import { parseMoneyInput, parseWholeNumber } from '@shared/typed-numbers'
import { Choice, TextField } from '../components/form-fields'
import { PriceListFields } from '../components/price-list-fields'
import { ErrorNote, Field, Screen, useFieldErrors } from '../components/ui'
import { UpstreamKeyForm, upstreamKeyProblem, useKeyEntry } from '../components/upstream-key'
import { useSession } from '../stores/session'
import { useSettings } from '../stores/settings'
import { toast } from '../stores/toasts'
import { GatewayCard } from './GatewayCard'
import { HostsFileCard } from './HostsFileMode'
import { PassphraseCard } from './PassphraseCard'
import { PingbackCard } from './PingbackCard'
import { RotateDataKeyCard } from './RotateDataKeyCard'
import { BillingSettingsCard } from './billing/BillingSettings'
import { moneyInput } from './tenant-draft'

interface Draft {
  providerId: SettingsShape['providerId']
  baseUrl: string
  supportsBatchGet: boolean
  sharedThreads: string
  requestTimeoutSeconds: string
  solveTimeoutSeconds: string
  autoLockMinutes: string
  balanceCheckMinutes: string
  lowBalance: string
  currency: string
  invoiceGraceDays: string
  costPrices: Record<CaptchaType, string>
  gatewayEnabled: boolean
  gatewayPort: string
  allowLan: boolean
  resultRetentionMinutes: string
  drainSeconds: string
  launchAtLogin: boolean
  /** Hosts-file mode's fields, edited in their own card and kept as they are here. */
  hostsFile: Pick<SettingsShape['gateway'], 'hostsFileMode' | 'httpsPort' | 'hostNames'>
}

type SwitchKey = 'supportsBatchGet' | 'gatewayEnabled' | 'allowLan' | 'launchAtLogin'

function draftOf(s: SettingsShape): Draft {
  return {
    providerId: s.providerId,
    baseUrl: s.baseUrl,
    supportsBatchGet: s.supportsBatchGet,
    sharedThreads: s.sharedThreads === null ? '' : String(s.sharedThreads),
    requestTimeoutSeconds: String(s.requestTimeoutSeconds),
    solveTimeoutSeconds: String(s.solveTimeoutSeconds),
    autoLockMinutes: String(s.autoLockMinutes),
    balanceCheckMinutes: String(s.balanceCheckMinutes),
    lowBalance: moneyInput(s.lowBalanceMicros),
    currency: s.currency,
    invoiceGraceDays: String(s.invoiceGraceDays),
    costPrices: Object.fromEntries(CAPTCHA_TYPES.map((c) => [c, moneyInput(s.costPrices[c])])) as Record<
      CaptchaType,
      string
    >,
    gatewayEnabled: s.gateway.enabled,
    gatewayPort: String(s.gateway.port),
    allowLan: s.gateway.allowLan,
    resultRetentionMinutes: String(s.gateway.resultRetentionMinutes),
    drainSeconds: String(s.gateway.drainSeconds),
    launchAtLogin: s.launchAtLogin,
    hostsFile: {
      hostsFileMode: s.gateway.hostsFileMode,
      httpsPort: s.gateway.httpsPort,
      hostNames: s.gateway.hostNames,
    },
  }
}

function toPatch(d: Draft): { patch: SettingsPatch | null; errors: Record<string, string> } {
  const errors: Record<string, string> = {}
  const int = (path: string, text: string, min: number, max: number, unit: string): number => {
    const n = parseWholeNumber(text, min, max)
    if (n === null)
      errors[path] = `Enter a whole number of ${unit} from ${min} to ${max.toLocaleString('en-US')}.`
    return n ?? min
  }
  const amount = (path: string, text: string): number => {
    const micros = parseMoneyInput(text)
    if (micros === null) errors[path] = 'Enter an amount in USD with at most 6 decimals, e.g. 0.002.'
    return micros ?? 0
  }
  const baseUrl = d.baseUrl.trim()
  if (d.providerId === 'custom' && !/^https?:\/\/\S+$/.test(baseUrl))
    errors.baseUrl = 'A custom provider needs its address, starting with https://.'
  else if (baseUrl && !/^https?:\/\/\S+$/.test(baseUrl))
    errors.baseUrl = 'The base URL must start with http:// or https:// (or be empty to use the preset).'
  const currency = d.currency.trim().toUpperCase()
  if (!/^[A-Z]{3}$/.test(currency)) errors.currency = 'A 3-letter currency code, e.g. USD.'
  const patch: SettingsPatch = {
    providerId: d.providerId,
    baseUrl,
    supportsBatchGet: d.supportsBatchGet,
    sharedThreads:
      d.sharedThreads.trim() === '' ? null : int('sharedThreads', d.sharedThreads, 1, 100_000, 'threads'),
    requestTimeoutSeconds: int('requestTimeoutSeconds', d.requestTimeoutSeconds, 5, 600, 'seconds'),
    solveTimeoutSeconds: int('solveTimeoutSeconds', d.solveTimeoutSeconds, 10, 3_600, 'seconds'),
    autoLockMinutes: int('autoLockMinutes', d.autoLockMinutes, 0, 1_440, 'minutes'),
    balanceCheckMinutes: int('balanceCheckMinutes', d.balanceCheckMinutes, 1, 1_440, 'minutes'),
    lowBalanceMicros: amount('lowBalanceMicros', d.lowBalance),
    currency,
    invoiceGraceDays: int('invoiceGraceDays', d.invoiceGraceDays, 0, 60, 'days'),
    costPrices: Object.fromEntries(
      CAPTCHA_TYPES.map((c) => [c, amount(`costPrices.${c}`, d.costPrices[c])]),
    ) as Record<CaptchaType, number>,
    gateway: {
      ...d.hostsFile,
      enabled: d.gatewayEnabled,
      port: int('gateway.port', d.gatewayPort, 0, 65_535, 'port'),
      allowLan: d.allowLan,
      resultRetentionMinutes: int(
        'gateway.resultRetentionMinutes',
        d.resultRetentionMinutes,
        1,
        1_440,
        'minutes',
      ),
      drainSeconds: int('gateway.drainSeconds', d.drainSeconds, 0, 600, 'seconds'),
    },
    launchAtLogin: d.launchAtLogin,
  }
  return { patch: Object.keys(errors).length ? null : patch, errors }
}

const CONTROL: Record<string, string> = {
  baseUrl: 'st-base',
  sharedThreads: 'st-threads',
  requestTimeoutSeconds: 'st-req',
  solveTimeoutSeconds: 'st-solve',
  autoLockMinutes: 'st-lock',
  balanceCheckMinutes: 'st-balmin',
  lowBalanceMicros: 'st-low',
  currency: 'st-currency',
  invoiceGraceDays: 'st-grace',
  'gateway.port': 'st-gwport',
  'gateway.resultRetentionMinutes': 'st-gwretain',
  'gateway.drainSeconds': 'st-gwdrain',
}
const controlOf = (path: string) =>
  path.startsWith('costPrices.')
    ? `st-cost-${path.slice('costPrices.'.length)}`
    : (CONTROL[path] ?? 'st-provider')

function SettingsForm({ settings }: { settings: SettingsShape }) {
  const save = useSettings((s) => s.save)
  const [d, setD] = useState(() => draftOf(settings))
  const { errors, summary, show, clear } = useFieldErrors(controlOf)
  const [busy, setBusy] = useState(false)
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD((x) => ({ ...x, [k]: v }))
  const preset = d.providerId === 'custom' ? null : PROVIDER_PRESETS[d.providerId]

  async function submit(e: FormEvent) {
    e.preventDefault()
    const { patch, errors: local } = toPatch(d)
    if (!patch) return show(local, '')
    // Only what changed: the audit log then records real changes, not every field.
    const changed = Object.fromEntries(
      Object.entries(patch).filter(
        ([k, v]) => JSON.stringify(v) !== JSON.stringify(settings[k as keyof SettingsShape]),
      ),
    ) as SettingsPatch
    if (Object.keys(changed).length === 0) {
      clear()
      toast('info', 'Nothing to save: no setting was changed.')
      return
    }
    setBusy(true)
    const r = await save(changed)
    setBusy(false)
    if (r.ok) {
      clear()
      setD(draftOf(r.value))
    } else show(r.fields, r.message)
  }
  const err = (p: string) => errors[p]
  /** A field for one of the draft's numbers; its errors are reported on `path`. */
  const numeric =
    (inputMode: 'numeric' | 'decimal') =>
    (id: string, key: keyof Draft, label: string, path: string, hint?: string) => (
      <TextField
        id={id}
        label={label}
        error={err(path)}
        hint={hint}
        inputMode={inputMode}
        value={d[key] as string}
        onChange={(v) => set(key, v as never)}
      />
    )
  /** A check box for one of the draft's switches. */
  const toggle = (key: SwitchKey, text: string) => (
    <Choice type="checkbox" checked={d[key]} onChange={(e) => set(key, e.target.checked)}>
      {text}
    </Choice>
  )
  const num = numeric('numeric')
  const decimal = numeric('decimal')
  return (
    <form onSubmit={submit} noValidate className="settings-form">
      <div className="form-grid">
        <fieldset>
          <legend>Upstream provider</legend>
          <Field id="st-provider" label="Provider" error={err('providerId')}>
            <select
              id="st-provider"
              value={d.providerId}
              onChange={(e) => set('providerId', e.target.value as Draft['providerId'])}
            >
              <option value="sandbox">Sandbox (built-in simulator)</option>
              <option value="captchaai">CaptchaAI</option>
              <option value="2captcha">2captcha</option>
              <option value="custom">Custom (another in.php/res.php service)</option>
            </select>
          </Field>
          <TextField
            id="st-base"
            type="url"
            label="Base URL"
            error={err('baseUrl')}
            hint={
              preset
                ? `Empty uses the preset${preset.baseUrl ? ` (${preset.baseUrl})` : ''}.`
                : 'Where in.php and res.php live, e.g. https://api.example.com.'
            }
            value={d.baseUrl}
            onChange={(v) => set('baseUrl', v)}
          />
          {toggle('supportsBatchGet', 'The provider answers several task ids in one res.php call')}
          {num(
            'st-threads',
            'sharedThreads',
            'Threads of the platform plan',
            'sharedThreads',
            'Shared fairly among shared-key tenants. Empty: no cap.',
          )}
        </fieldset>
        <fieldset>
          <legend>Timeouts and safety</legend>
          {num(
            'st-req',
            'requestTimeoutSeconds',
            'Request timeout (s)',
            'requestTimeoutSeconds',
            'One HTTP call to the upstream.',
          )}
          {num(
            'st-solve',
            'solveTimeoutSeconds',
            'Solve timeout (s)',
            'solveTimeoutSeconds',
            'A whole solve, from submit to answer.',
          )}
          {num(
            'st-lock',
            'autoLockMinutes',
            'Lock the vault after idle minutes',
            'autoLockMinutes',
            '0 = never lock by itself.',
          )}
          {num('st-balmin', 'balanceCheckMinutes', 'Check balances every (minutes)', 'balanceCheckMinutes')}
          {decimal('st-low', 'lowBalance', 'Low-balance alert below (USD)', 'lowBalanceMicros')}
        </fieldset>
        <fieldset>
          <legend>Billing</legend>
          <TextField
            id="st-currency"
            label="Currency"
            error={err('currency')}
            value={d.currency}
            maxLength={3}
            onChange={(v) => set('currency', v)}
          />
          {num(
            'st-grace',
            'invoiceGraceDays',
            'Invoice grace period (days after month end)',
            'invoiceGraceDays',
            'Late usage within it still lands on the month’s invoice.',
          )}
          <PriceListFields
            idPrefix="st-cost-"
            path="costPrices"
            label={(type) => `Upstream cost: ${type} (USD)`}
            errors={errors}
            value={d.costPrices}
            onChange={(v) => set('costPrices', v)}
          />
        </fieldset>
        <fieldset>
          <legend>Tenant gateway</legend>
          {toggle(
            'gatewayEnabled',
            'Serve tenants (starts by itself whenever the keys are available; locking the console does not stop it)',
          )}
          {num('st-gwport', 'gatewayPort', 'Gateway port', 'gateway.port', '0 picks a free port.')}
          {toggle('allowLan', 'Listen on the local network (off: this computer only)')}
          {num(
            'st-gwretain',
            'resultRetentionMinutes',
            'Keep unfetched answers for (minutes)',
            'gateway.resultRetentionMinutes',
            'Answers survive restarts; one nobody fetched is deleted after this long.',
          )}
          {num(
            'st-gwdrain',
            'drainSeconds',
            'On stop or quit, finish running solves for up to (seconds)',
            'gateway.drainSeconds',
            'New tasks are refused at once; results keep being answered meanwhile.',
          )}
          {toggle(
            'launchAtLogin',
            'Open CaptchaDesk when I log in (desktop app; with device unlock, serving resumes unattended)',
          )}
        </fieldset>
      </div>
      <ErrorNote text={summary} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save settings'}
        </button>
        <button type="button" onClick={() => setD(draftOf(settings))} disabled={busy}>
          Discard changes
        </button>
      </div>
    </form>
  )
}

function PlatformKeyCard() {
  const { platformKey, setPlatformKey } = useSettings()
  const entry = useKeyEntry(platformKey?.label ?? 'Platform key')
  const { key, label } = entry
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  async function submit(e: FormEvent) {
    e.preventDefault()
    const problem = upstreamKeyProblem(key)
    if (problem) {
      setError(problem)
      document.getElementById('st-pkey')?.focus()
      return
    }
    setBusy(true)
    const r = await setPlatformKey(key.trim(), label.trim())
    setBusy(false)
    if (r.ok) {
      entry.setKey('')
      setError(null)
    } else setError(r.message)
  }
  return (
    <section className="card" aria-labelledby="pkey-title">
      <h2 id="pkey-title">Platform key</h2>
      <UpstreamKeyForm
        stored={platformKey}
        testId="platform-key"
        emptyText="No platform key yet (the Sandbox brings its own)."
        onSubmit={submit}
        ids={{ label: 'st-pkey-label', key: 'st-pkey' }}
        entry={entry}
        error={error}
      >
        <button type="submit" disabled={busy || key.trim() === ''}>
          {busy ? 'Saving…' : platformKey ? 'Rotate platform key' : 'Save platform key'}
        </button>
      </UpstreamKeyForm>
    </section>
  )
}

function DeviceUnlockCard() {
  const enabled = useSession((s) => s.status?.vault.deviceUnlock ?? false)
  const setDeviceUnlock = useSettings((s) => s.setDeviceUnlock)
  const [error, setError] = useState<string | null>(null)
  return (
    <section className="card" aria-labelledby="device-title">
      <h2 id="device-title">Unlock with this device</h2>
      <p>
        Keeps a copy of the vault’s data key in the system keystore (Keychain, DPAPI, libsecret/KWallet), so
        this computer can unlock without the passphrase. Refused where the keystore gives no protection.
      </p>
      <p>
        Now: <strong>{enabled ? 'on' : 'off'}</strong>
      </p>
      <ErrorNote text={error} />
      <button
        onClick={async () => {
          const r = await setDeviceUnlock(!enabled)
          setError(r.ok ? null : r.message)
        }}
      >
        {enabled ? 'Turn off' : 'Turn on'}
      </button>
    </section>
  )
}

export function Settings() {
  const { settings, error, load } = useSettings()
  const platformKeyId = useSettings((s) => s.platformKey?.fingerprint ?? 'none')
  useEffect(() => {
    void load()
  }, [load])
  return (
    <Screen title="Settings">
      <ErrorNote text={error} />
      {settings ? (
        <SettingsForm key={JSON.stringify(settings)} settings={settings} />
      ) : error ? null : (
        <p aria-busy="true">Loading…</p>
      )}
      <div className="cards wide">
        <PlatformKeyCard key={platformKeyId} />
        {settings ? <BillingSettingsCard key={JSON.stringify(settings)} settings={settings} /> : null}
        <GatewayCard />
        {settings ? <HostsFileCard key={JSON.stringify(settings.gateway)} settings={settings} /> : null}
        {settings ? (
          <PingbackCard key={`${settings.publicCallbackUrl}|${settings.pollAdvice}`} settings={settings} />
        ) : null}
        <DeviceUnlockCard />
        <PassphraseCard />
        <RotateDataKeyCard />
      </div>
    </Screen>
  )
}
