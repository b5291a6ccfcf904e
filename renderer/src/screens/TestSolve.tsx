import { useEffect, useState, type FormEvent } from 'react'
import { CAPTCHA_TYPES, CAPTCHA_TYPE_LABELS, type CaptchaRequest, type CaptchaType } from '@shared/captcha'
import { api, call, messageOf } from '../api/client'
import { ErrorNote, Field, Screen, money } from '../components/ui'
import { useTenants } from '../stores/tenants'

const SAMPLE_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAACgAAAAQCAAAAACq4DH2AAAAaElEQVR4nGNgGAWjYBSMglEwCkbBKBgFo2AUjIJRMApGwSgYBaNgFIyCUTAKRsEoGAWjYBSMglEwCkbBKBgFo2AUjIJRMApGwSgYBaNgFIyCUTAKRsEoGAWjYBSMglEwCkbBKBgFo2AUjIJRMApGwSgYBaNgFAAALvAA/8sR8pQAAAAASUVORK5CYII='

function defaults(type: CaptchaType): Record<string, string> {
  switch (type) {
    case 'image':
      return { body: SAMPLE_PNG }
    case 'recaptcha_v2':
      return { googlekey: '6Le-wvkSAAAAAPBMRTvw0Q4Muexq9bi0DJwx_mJ-', pageurl: 'https://example.com/login' }
    case 'recaptcha_v3':
      return {
        googlekey: '6LfB5_IbAAAAAMCtsjEHEHKqcB9iQocwwxTiihJu',
        pageurl: 'https://example.com/',
        action: 'login',
        minScore: '0.3',
      }
    case 'turnstile':
      return { sitekey: '0x4AAAAAAAC3DHQFLr1GavRN', pageurl: 'https://example.com/' }
    case 'geetest':
      return {
        gt: '81388ea1fc187e0c335c0a8907ff2625',
        challenge: '12345678abc90123d45678ef90123a456b',
        pageurl: 'https://example.com/',
      }
  }
}

function toRequest(type: CaptchaType, f: Record<string, string>): CaptchaRequest {
  switch (type) {
    case 'image':
      return { type, body: f.body ?? '' }
    case 'recaptcha_v2':
      return { type, googlekey: f.googlekey ?? '', pageurl: f.pageurl ?? '' }
    case 'recaptcha_v3':
      return {
        type,
        googlekey: f.googlekey ?? '',
        pageurl: f.pageurl ?? '',
        action: f.action || undefined,
        minScore: f.minScore ? Number(f.minScore) : undefined,
      }
    case 'turnstile':
      return { type, sitekey: f.sitekey ?? '', pageurl: f.pageurl ?? '' }
    case 'geetest':
      return { type, gt: f.gt ?? '', challenge: f.challenge ?? '', pageurl: f.pageurl ?? '' }
  }
}

type Result =
  | { status: 'solved'; answer: string; taskId: string; threadMs: number; priceMicros: number }
  | { status: 'rejected'; limit: string; message: string; retryAfterMs: number }
  | { status: 'failed' | 'timed_out' | 'cancelled'; code: string; message: string }

export function TestSolve() {
  const { tenants, load } = useTenants()
  const [chosenTenant, setTenantId] = useState('')
  const [type, setType] = useState<CaptchaType>('turnstile')
  const [fields, setFields] = useState<Record<string, string>>(defaults('turnstile'))
  const [progress, setProgress] = useState<string[]>([])
  const [result, setResult] = useState<Result | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  useEffect(() => {
    void load()
  }, [load])
  const tenantId = chosenTenant || tenants[0]?.id || ''
  useEffect(
    () =>
      api.on('solve.progress', (p) => {
        const e = p as { stage: string; taskId?: string; tenantId: string }
        if (e.tenantId === tenantId && e.stage !== 'ended')
          setProgress((x) => [
            ...x,
            e.stage === 'submitted'
              ? `Accepted upstream as task ${e.taskId}; waiting for the answer…`
              : 'Admitted: limits checked and reserved.',
          ])
      }),
    [tenantId],
  )

  async function run(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setResult(null)
    setError(null)
    setProgress(['Sending…'])
    try {
      setResult((await call('solve.test', { tenantId, request: toRequest(type, fields) })) as Result)
    } catch (err) {
      setError(messageOf(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <Screen title="Test solve">
      {tenants.length === 0 ? <p className="muted">Add a tenant first.</p> : null}
      <form className="form-grid" onSubmit={run}>
        <Field id="s-tenant" label="Tenant">
          <select id="s-tenant" value={tenantId} onChange={(e) => setTenantId(e.target.value)}>
            {tenants.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </Field>
        <Field id="s-type" label="Captcha type">
          <select
            id="s-type"
            value={type}
            onChange={(e) => {
              const t = e.target.value as CaptchaType
              setType(t)
              setFields(defaults(t))
            }}
          >
            {CAPTCHA_TYPES.map((t) => (
              <option key={t} value={t}>
                {CAPTCHA_TYPE_LABELS[t]}
              </option>
            ))}
          </select>
        </Field>
        {Object.keys(fields).map((name) => (
          <Field key={name} id={`s-${name}`} label={name}>
            {name === 'body' ? (
              <textarea
                id={`s-${name}`}
                value={fields[name]}
                onChange={(e) => setFields({ ...fields, [name]: e.target.value })}
              />
            ) : (
              <input
                id={`s-${name}`}
                value={fields[name]}
                onChange={(e) => setFields({ ...fields, [name]: e.target.value })}
              />
            )}
          </Field>
        ))}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || !tenantId}>
            {busy ? 'Solving…' : 'Solve'}
          </button>
        </div>
      </form>
      <ErrorNote text={error} />
      {progress.length > 0 ? (
        <ol className="progress" aria-live="polite" aria-label="Progress">
          {progress.map((p, i) => (
            <li key={i}>{p}</li>
          ))}
        </ol>
      ) : null}
      {result ? (
        <div className={`card result ${result.status}`} role="status" data-testid="solve-result">
          {result.status === 'solved' ? (
            <>
              <h2>Solved</h2>
              <p>
                Task {result.taskId} · {(result.threadMs / 1000).toFixed(1)} s of thread time · billed{' '}
                {money(result.priceMicros, 6)}
              </p>
              <code className="answer">{result.answer}</code>
            </>
          ) : result.status === 'rejected' ? (
            <>
              <h2>Refused by the {result.limit.replace('_', ' ')} limit</h2>
              <p>
                {result.message}
                {result.retryAfterMs > 0 ? ` Try again in ${Math.ceil(result.retryAfterMs / 1000)} s.` : ''}
              </p>
            </>
          ) : (
            <>
              <h2>
                {result.status === 'timed_out'
                  ? 'Timed out'
                  : result.status === 'cancelled'
                    ? 'Cancelled'
                    : 'Failed'}
              </h2>
              <p>
                {result.code}: {result.message}
              </p>
            </>
          )}
        </div>
      ) : null}
    </Screen>
  )
}
