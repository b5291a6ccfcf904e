/** First run (create the vault, pick the upstream) and the unlock screen. */
import { useState, type FormEvent } from 'react'
import { formatDuration } from '@shared/human-time'
import { Choice, PassphraseField, SecretKeyField, TextField } from '../components/form-fields'
import { NewPassphraseFields, usePassphrasePair } from '../components/new-passphrase'
import { ErrorNote, fieldSummary, secondsLeft, useNow } from '../components/ui'
import { upstreamKeyProblem } from '../components/upstream-key'
import { useSession, type ProviderChoice } from '../stores/session'

type ProviderId = 'sandbox' | ProviderChoice['providerId']
const PROVIDERS: ReadonlyArray<readonly [ProviderId, string, string]> = [
  ['sandbox', 'Sandbox', 'The built-in simulator: no key and no money needed. Best to start with.'],
  ['captchaai', 'CaptchaAI', 'Thread plans at ocr.captchaai.com.'],
  ['2captcha', '2captcha', 'Pay per solve at 2captcha.com.'],
  ['custom', 'Another in.php/res.php service', 'Any service speaking the same protocol.'],
]

const LOCK_REASONS: Record<string, string> = {
  idle: 'The vault locked itself after the idle time set in Settings.',
  operator: 'You locked the vault.',
  suspend: 'The vault locked when the computer went to sleep.',
  'screen locked': 'The vault locked with the screen.',
}

export function FirstRun() {
  const { setup, loading, error, fieldErrors } = useSession()
  const pair = usePassphrasePair()
  const [provider, setProvider] = useState<ProviderId>('sandbox')
  const [upstream, setUpstream] = useState({ baseUrl: '', key: '' })
  const { baseUrl, key } = upstream
  const [local, setLocal] = useState<Record<string, string>>({})

  async function submit(e: FormEvent) {
    e.preventDefault()
    const errors: Record<string, string> = {}
    const { value: passphrase, again } = pair.problems('The two passphrases differ: type the same one twice.')
    if (passphrase) errors.passphrase = passphrase
    if (again) errors.confirm = again
    if (provider === 'custom' && !/^https?:\/\/\S+$/.test(baseUrl.trim()))
      errors.baseUrl = 'Enter the service’s address, starting with https:// (in.php and res.php are added).'
    const keyProblem = provider === 'sandbox' ? null : upstreamKeyProblem(key)
    if (keyProblem) errors.key = keyProblem
    setLocal(errors)
    if (Object.keys(errors).length) {
      const first = {
        passphrase: 'new-pass',
        confirm: 'confirm-pass',
        baseUrl: 'base-url',
        key: 'platform-key',
      }[Object.keys(errors)[0] as 'passphrase']
      document.getElementById(first)?.focus()
      return
    }
    await setup(pair.value, provider === 'sandbox' ? null : { providerId: provider, baseUrl, key })
  }
  const err = (k: string) => local[k] ?? fieldErrors[k]
  /** The value, change and error of the upstream's address or key. */
  const bind = (k: keyof typeof upstream) => ({
    value: upstream[k],
    onChange: (v: string) => setUpstream((u) => ({ ...u, [k]: v })),
    error: err(k),
  })
  const count = Object.keys(local).length

  return (
    <main className="center-card">
      <form onSubmit={submit} className="card welcome" aria-labelledby="welcome-title" noValidate>
        <h1 id="welcome-title">Welcome to CaptchaDesk</h1>
        <p>
          First, create the passphrase that protects your upstream API keys. It is never stored: if you lose
          it, the keys in the vault cannot be recovered (you would enter them again).
        </p>
        <NewPassphraseFields
          guide
          ids={{ value: 'new-pass', again: 'confirm-pass' }}
          labels={{ value: 'Vault passphrase', again: 'Repeat the passphrase' }}
          pair={pair}
          errors={{ value: err('passphrase'), again: err('confirm') }}
        />
        <fieldset>
          <legend>Upstream provider</legend>
          {PROVIDERS.map(([id, label, note]) => (
            <Choice
              key={id}
              type="radio"
              name="provider"
              value={id}
              checked={provider === id}
              onChange={() => setProvider(id)}
            >
              {label} <span className="muted small">— {note}</span>
            </Choice>
          ))}
        </fieldset>
        {provider === 'custom' ? (
          <TextField
            id="base-url"
            type="url"
            label="Base URL"
            hint="For example https://api.example.com (in.php and res.php are added)."
            {...bind('baseUrl')}
          />
        ) : null}
        {provider !== 'sandbox' ? (
          <SecretKeyField
            id="platform-key"
            label="Platform API key"
            hint="Stored encrypted in the vault; afterwards shown only as •••• and its last 4 characters."
            {...bind('key')}
          />
        ) : null}
        <ErrorNote text={count ? fieldSummary(local, '') : error} />
        <button type="submit" className="primary" disabled={loading}>
          {loading ? 'Creating the vault…' : 'Create vault and start'}
        </button>
        {loading ? (
          <p className="muted small" role="status">
            Deriving the key from your passphrase takes a second or two on purpose.
          </p>
        ) : null}
      </form>
    </main>
  )
}

export function Unlock() {
  const { unlock, unlockWithDevice, loading, error, status, retryAt, lockedReason, olderCopy } = useSession()
  const [pass, setPass] = useState('')
  const now = useNow(retryAt !== null)
  const wait = secondsLeft(retryAt, now)
  return (
    <main className="center-card">
      <form
        className="card"
        aria-labelledby="unlock-title"
        onSubmit={(e) => {
          e.preventDefault()
          if (wait > 0 || loading) return
          void unlock(pass).then((ok) => {
            if (ok) setPass('')
            else document.getElementById('unlock-pass')?.focus()
          })
        }}
      >
        <h1 id="unlock-title">Unlock CaptchaDesk</h1>
        <p>
          {(lockedReason && LOCK_REASONS[lockedReason]) ?? 'The key vault is locked.'} Enter your passphrase
          to continue.
        </p>
        <PassphraseField id="unlock-pass" label="Passphrase" value={pass} onChange={setPass} autoFocus />
        {wait > 0 ? (
          <div className="error-note" data-testid="throttle">
            <span role="alert">Too many wrong passphrases.</span> Try again in {formatDuration(wait * 1000)}.
          </div>
        ) : retryAt !== null ? (
          // The engine's message named a wait that is over now: do not leave "try again in 1 s" standing.
          <p className="note ok" role="status" data-testid="throttle">
            You can try again now.
          </p>
        ) : (
          <ErrorNote text={error} />
        )}
        <button type="submit" className="primary" disabled={loading || pass.length === 0 || wait > 0}>
          {loading ? 'Unlocking…' : wait > 0 ? `Wait ${formatDuration(wait * 1000)}` : 'Unlock'}
        </button>
        {olderCopy && pass.length > 0 ? (
          <OlderCopyOffer onOpen={() => void unlock(pass, { acceptOlderVault: true })} disabled={loading} />
        ) : null}
        {status?.vault.deviceUnlock ? (
          <button type="button" onClick={() => void unlockWithDevice()} disabled={loading}>
            Unlock with this device
          </button>
        ) : null}
      </form>
    </main>
  )
}

/**
 * The unlock found an older copy of the vault file: opening it takes a deliberate tick (kept only while this offer
 * is shown, so it never comes back already ticked).
 */
function OlderCopyOffer({ onOpen, disabled }: { onOpen: () => void; disabled: boolean }) {
  const [confirmed, setConfirmed] = useState(false)
  return (
    <div className="older-copy" data-testid="older-copy">
      <p>
        If you put this copy back yourself (restored from a backup), you can open it. Keys, tenants’ own keys
        and the passphrase go back to what they were in it; the newer copy will be refused from then on. The
        audit log records it.
      </p>
      <Choice type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)}>
        I restored this vault from a backup on purpose
      </Choice>
      <button type="button" disabled={disabled || !confirmed} onClick={onOpen}>
        Open this older copy
      </button>
    </div>
  )
}
