import { useEffect, useState, type FormEvent } from 'react'
import type { Settings as SettingsShape } from '@shared/settings'
import { call, messageOf } from '../api/client'
import { ErrorNote, Field, Screen } from '../components/ui'
import { useToasts } from '../stores/toasts'

interface GatewayStatus {
  running: boolean
  url: string | null
}

export function Settings() {
  const [s, setS] = useState<SettingsShape | null>(null)
  const [gw, setGw] = useState<GatewayStatus | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [platformKey, setPlatformKey] = useState('')
  const push = useToasts((t) => t.push)
  useEffect(() => {
    call('settings.get', {}).then(
      (v) => setS(v as SettingsShape),
      (err) => setError(messageOf(err)),
    )
    call('gateway.status', {}).then(
      (v) => setGw(v as GatewayStatus),
      () => undefined,
    )
  }, [])
  if (!s)
    return (
      <Screen title="Settings">
        {error ? <ErrorNote text={error} /> : <p aria-busy="true">Loading…</p>}
      </Screen>
    )

  async function save(e: FormEvent) {
    e.preventDefault()
    if (!s) return
    try {
      setS((await call('settings.update', s)) as SettingsShape)
      setError(null)
      push('success', 'Settings saved.')
    } catch (err) {
      setError(messageOf(err))
    }
  }
  const num = (v: string) => (v.trim() === '' ? NaN : Number(v))
  async function setDeviceUnlock(enabled: boolean) {
    try {
      await call('vault.setDeviceUnlock', { enabled })
      push('success', enabled ? 'This device can now unlock the vault.' : 'Device unlock is off.')
    } catch (err) {
      setError(messageOf(err))
    }
  }

  return (
    <Screen title="Settings">
      <form className="form-grid" onSubmit={save}>
        <Field id="st-provider" label="Provider">
          <select
            id="st-provider"
            value={s.providerId}
            onChange={(e) => setS({ ...s, providerId: e.target.value as SettingsShape['providerId'] })}
          >
            <option value="sandbox">Sandbox (built-in simulator)</option>
            <option value="captchaai">CaptchaAI</option>
            <option value="2captcha">2captcha</option>
            <option value="custom">Custom base URL</option>
          </select>
        </Field>
        <Field id="st-base" label="Base URL (custom providers, or to override)">
          <input id="st-base" value={s.baseUrl} onChange={(e) => setS({ ...s, baseUrl: e.target.value })} />
        </Field>
        <Field id="st-threads" label="Threads of the platform plan (shared fairly)">
          <input
            id="st-threads"
            inputMode="numeric"
            value={s.sharedThreads ?? ''}
            onChange={(e) =>
              setS({ ...s, sharedThreads: e.target.value === '' ? null : num(e.target.value) })
            }
          />
        </Field>
        <Field id="st-req" label="Request timeout (s)">
          <input
            id="st-req"
            inputMode="numeric"
            value={s.requestTimeoutSeconds}
            onChange={(e) => setS({ ...s, requestTimeoutSeconds: num(e.target.value) })}
          />
        </Field>
        <Field id="st-solve" label="Solve timeout (s)">
          <input
            id="st-solve"
            inputMode="numeric"
            value={s.solveTimeoutSeconds}
            onChange={(e) => setS({ ...s, solveTimeoutSeconds: num(e.target.value) })}
          />
        </Field>
        <Field id="st-lock" label="Lock the vault after idle minutes (0 = never)">
          <input
            id="st-lock"
            inputMode="numeric"
            value={s.autoLockMinutes}
            onChange={(e) => setS({ ...s, autoLockMinutes: num(e.target.value) })}
          />
        </Field>
        <Field id="st-grace" label="Invoice grace period (days after month end)">
          <input
            id="st-grace"
            inputMode="numeric"
            value={s.invoiceGraceDays}
            onChange={(e) => setS({ ...s, invoiceGraceDays: num(e.target.value) })}
          />
        </Field>
        <Field id="st-gwport" label="Gateway port">
          <input
            id="st-gwport"
            inputMode="numeric"
            value={s.gateway.port}
            onChange={(e) => setS({ ...s, gateway: { ...s.gateway, port: num(e.target.value) } })}
          />
        </Field>
        <label className="radio">
          <input
            type="checkbox"
            checked={s.gateway.allowLan}
            onChange={(e) => setS({ ...s, gateway: { ...s.gateway, allowLan: e.target.checked } })}
          />{' '}
          Let the gateway listen on the local network (off: this computer only)
        </label>
        <ErrorNote text={error} />
        <div className="actions">
          <button type="submit" className="primary">
            Save settings
          </button>
        </div>
      </form>
      <div className="cards">
        <div className="card">
          <h2>Platform key</h2>
          <Field id="st-pkey" label="Set or replace the platform API key">
            <input
              id="st-pkey"
              type="password"
              autoComplete="off"
              value={platformKey}
              onChange={(e) => setPlatformKey(e.target.value)}
            />
          </Field>
          <button
            disabled={platformKey.trim() === ''}
            onClick={async () => {
              try {
                const info = (await call('vault.setPlatformKey', {
                  key: platformKey.trim(),
                  label: 'Platform key',
                })) as { last4: string }
                setPlatformKey('')
                push('success', `Platform key saved (•••• ${info.last4}).`)
              } catch (err) {
                setError(messageOf(err))
              }
            }}
          >
            Save platform key
          </button>
        </div>
        <div className="card">
          <h2>Unlock with this device</h2>
          <p>
            Keeps a copy of the vault’s data key in the system keystore (Keychain, DPAPI, libsecret/KWallet),
            so this computer can unlock without the passphrase. Refused where the keystore gives no
            protection.
          </p>
          <div className="actions">
            <button onClick={() => void setDeviceUnlock(true)}>Enable</button>
            <button onClick={() => void setDeviceUnlock(false)}>Disable</button>
          </div>
        </div>
        <div className="card">
          <h2>Tenant gateway</h2>
          <p data-testid="gateway-status">{gw?.running ? `Running at ${gw.url}` : 'Stopped.'}</p>
          <button
            onClick={async () => {
              try {
                setGw((await call(gw?.running ? 'gateway.stop' : 'gateway.start', {})) as GatewayStatus)
              } catch (err) {
                setError(messageOf(err))
              }
            }}
          >
            {gw?.running ? 'Stop gateway' : 'Start gateway'}
          </button>
        </div>
      </div>
    </Screen>
  )
}
