import { useState, type FormEvent } from 'react'
import { call, messageOf } from '../api/client'
import { ErrorNote, Field } from '../components/ui'
import { useSession } from '../stores/session'

function strength(p: string): { score: number; label: string } {
  let score = 0
  if (p.length >= 10) score++
  if (p.length >= 16) score++
  if (/[a-z]/.test(p) && /[A-Z]/.test(p)) score++
  if (/\d/.test(p) || /[^A-Za-z0-9]/.test(p)) score++
  return { score, label: ['too short', 'weak', 'fair', 'good', 'strong'][score]! }
}

export function FirstRun() {
  const { create, loading, error } = useSession()
  const [pass, setPass] = useState('')
  const [confirm, setConfirm] = useState('')
  const [provider, setProvider] = useState<'sandbox' | 'captchaai' | '2captcha' | 'custom'>('sandbox')
  const [baseUrl, setBaseUrl] = useState('')
  const [key, setKey] = useState('')
  const [local, setLocal] = useState<string | null>(null)
  const s = strength(pass)

  async function submit(e: FormEvent) {
    e.preventDefault()
    setLocal(null)
    if (pass.length < 10) return setLocal('The passphrase must be at least 10 characters long.')
    if (pass !== confirm) return setLocal('The two passphrases differ.')
    if (provider !== 'sandbox' && !/^[A-Za-z0-9]{32}$/.test(key.trim()))
      return setLocal('An API key is 32 letters and digits.')
    if (!(await create(pass))) return
    if (provider !== 'sandbox') {
      try {
        await call('settings.update', { providerId: provider, ...(provider === 'custom' ? { baseUrl } : {}) })
        await call('vault.setPlatformKey', { key: key.trim(), label: 'Platform key' })
        await useSession.getState().refresh()
      } catch (err) {
        setLocal(
          `The vault was created, but the provider could not be set: ${messageOf(err)} Fix it in Settings.`,
        )
      }
    }
  }

  return (
    <main className="center-card">
      <form onSubmit={submit} className="card" aria-labelledby="welcome-title">
        <h1 id="welcome-title">Welcome to CaptchaDesk</h1>
        <p>
          Create the passphrase that protects your upstream API keys. It is never stored; if you lose it, the
          keys cannot be recovered.
        </p>
        <Field id="new-pass" label="Vault passphrase" hint={`Strength: ${s.label}`}>
          <input
            id="new-pass"
            type="password"
            autoComplete="new-password"
            value={pass}
            onChange={(e) => setPass(e.target.value)}
            autoFocus
          />
        </Field>
        <div className="strength" aria-hidden="true">
          {[0, 1, 2, 3].map((i) => (
            <span key={i} className={i < s.score ? 'on' : ''} />
          ))}
        </div>
        <Field id="confirm-pass" label="Repeat the passphrase">
          <input
            id="confirm-pass"
            type="password"
            autoComplete="new-password"
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
          />
        </Field>
        <fieldset>
          <legend>Upstream provider</legend>
          {(
            [
              ['sandbox', 'Sandbox — the built-in simulator, no key needed (recommended to start)'],
              ['captchaai', 'CaptchaAI'],
              ['2captcha', '2captcha'],
              ['custom', 'Another in.php/res.php service'],
            ] as const
          ).map(([id, label]) => (
            <label key={id} className="radio">
              <input
                type="radio"
                name="provider"
                value={id}
                checked={provider === id}
                onChange={() => setProvider(id)}
              />{' '}
              {label}
            </label>
          ))}
        </fieldset>
        {provider === 'custom' ? (
          <Field
            id="base-url"
            label="Base URL"
            hint="e.g. https://api.example.com (in.php and res.php are added)"
          >
            <input id="base-url" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} />
          </Field>
        ) : null}
        {provider !== 'sandbox' ? (
          <Field
            id="platform-key"
            label="Platform API key"
            hint="Stored encrypted in the vault; shown afterwards only as •••• and its last 4 characters."
          >
            <input
              id="platform-key"
              type="password"
              autoComplete="off"
              value={key}
              onChange={(e) => setKey(e.target.value)}
            />
          </Field>
        ) : null}
        <ErrorNote text={local ?? error} />
        <button type="submit" className="primary" disabled={loading}>
          {loading ? 'Creating the vault…' : 'Create vault and start'}
        </button>
      </form>
    </main>
  )
}

export function Unlock() {
  const { unlock, unlockWithDevice, loading, error, status } = useSession()
  const [pass, setPass] = useState('')
  return (
    <main className="center-card">
      <form
        className="card"
        aria-labelledby="unlock-title"
        onSubmit={(e) => {
          e.preventDefault()
          void unlock(pass).then((ok) => ok && setPass(''))
        }}
      >
        <h1 id="unlock-title">Unlock CaptchaDesk</h1>
        <p>The key vault is locked. Enter your passphrase to continue.</p>
        <Field id="unlock-pass" label="Passphrase">
          <input
            id="unlock-pass"
            type="password"
            autoComplete="current-password"
            value={pass}
            onChange={(e) => setPass(e.target.value)}
            autoFocus
          />
        </Field>
        <ErrorNote text={error} />
        <button type="submit" className="primary" disabled={loading || pass.length === 0}>
          {loading ? 'Unlocking…' : 'Unlock'}
        </button>
        {status?.vault.deviceUnlock ? (
          <button type="button" onClick={() => void unlockWithDevice()} disabled={loading}>
            Unlock with this device
          </button>
        ) : null}
      </form>
    </main>
  )
}
