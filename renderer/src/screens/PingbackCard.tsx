/**
 * Settings → Pingback and polling: the public callback URL that lets the upstream call this host back when a task
 * is done (for a host reachable from the internet, e.g. the headless host on a server), the registration step the
 * providers ask for, and whether polling follows the provider's published advice.
 */
import { useState } from 'react'
import type { Settings } from '@shared/settings'
import { Field } from '../components/ui'
import { useSettings } from '../stores/settings'

const URL_RULE = /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/

export function PingbackCard({ settings }: { settings: Settings }) {
  const save = useSettings((s) => s.save)
  const [url, setUrl] = useState(settings.publicCallbackUrl ?? '')
  const [follow, setFollow] = useState((settings.pollAdvice ?? 'follow') === 'follow')
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState(false)
  const host = (() => {
    try {
      return url.trim() ? new URL(url.trim()).host : ''
    } catch {
      return ''
    }
  })()

  async function submit(e: React.FormEvent) {
    e.preventDefault()
    const value = url.trim()
    if (value !== '' && !URL_RULE.test(value)) {
      setErrors({ publicCallbackUrl: 'An http(s) address such as https://desk.example.com, without ? or #.' })
      return
    }
    setErrors({})
    setBusy(true)
    const r = await save({ publicCallbackUrl: value, pollAdvice: follow ? 'follow' : 'ignore' })
    setBusy(false)
    if (!r.ok) setErrors(r.fields)
  }

  return (
    <section className="card span-all" aria-labelledby="pb-title">
      <h2 id="pb-title">Pingback and polling</h2>
      <p className="muted small">
        With a public callback URL, each task asks the provider to call this host back the moment it is
        solved, so answers arrive at once with one request per solve; polling stays on as the fallback. Use it
        only when the provider can reach this host from the internet — for example the headless host on a
        server, with a reverse proxy passing <span className="mono">/pingback/…</span> to the gateway’s port.
        Saving applies to the next tasks at once.
      </p>
      <form className="form-grid" onSubmit={(e) => void submit(e)} noValidate>
        <Field
          id="pb-url"
          label="Public callback URL (empty: off)"
          error={errors.publicCallbackUrl}
          hint="The address at which the provider reaches this host’s gateway port, e.g. https://desk.example.com"
        >
          <input
            id="pb-url"
            inputMode="url"
            spellCheck={false}
            placeholder="https://desk.example.com"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
          />
        </Field>
        <label className="check span-all">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />
          <span>
            Follow the provider’s polling advice (first poll no sooner than 5 s, 10 s for reCAPTCHA; at most
            20 polls per task). Turn off only if your provider allows faster polling.
          </span>
        </label>
        <div className="span-all small" data-testid="pingback-registration">
          <strong>Register the callback with your provider first.</strong> CaptchaAI and 2captcha only call
          domains or addresses you have registered:
          <ol>
            <li>
              In the provider’s dashboard, open the pingback (callback) settings and add{' '}
              <span className="mono">{host || 'your host'}</span>.
            </li>
            <li>
              2captcha may ask you to prove the domain is yours by serving a verification file (for example{' '}
              <span className="mono">/2captcha.txt</span>) from that host: serve it from your reverse proxy.
            </li>
            <li>Save the URL here. Until the provider calls back, tasks are still answered by polling.</li>
          </ol>
        </div>
        <div className="actions span-all">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save pingback and polling'}
          </button>
        </div>
      </form>
    </section>
  )
}
