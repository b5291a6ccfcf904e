/** Run one solve for a tenant through the real path (limits, metering, upstream) and watch it happen. */
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react'
import { formatRetry } from '@shared/human-time'
import { CAPTCHA_TYPES, CAPTCHA_TYPE_LABELS, type CaptchaRequest, type CaptchaType } from '@shared/captcha'
import { ErrorNote, Field, Progress, Screen, fieldSummary, money, useNow } from '../components/ui'
import { useSolve } from '../stores/solve'
import { useTenants } from '../stores/tenants'

/** A 40×16 grey PNG: the Sandbox answers any image. */
const SAMPLE_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAACgAAAAQCAAAAACq4DH2AAAAaElEQVR4nGNgGAWjYBSMglEwCkbBKBgFo2AUjIJRMApGwSgYBaNgFIyCUTAKRsEoGAWjYBSMglEwCkbBKBgFo2AUjIJRMApGwSgYBaNgFIyCUTAKRsEoGAWjYBSMglEwCkbBKBgFo2AUjIJRMApGwSgYBaNgFAAALvAA/8sR8pQAAAAASUVORK5CYII='

interface ParamSpec {
  name: string
  label: string
  hint?: string
  multiline?: boolean
  optional?: boolean
  /** A fixed list of values (shown as a select). */
  choices?: readonly string[]
  /** What the form starts with: a value the Sandbox accepts. */
  sample?: string
}

const YES_NO = ['no', 'yes'] as const
const PROXY_KINDS = ['HTTP', 'HTTPS', 'SOCKS4', 'SOCKS5'] as const
const SAMPLE_PAGE = 'https://example.com/'
const PROXY_HINT = 'host:port or user:pass@host:port. Never shown in logs.'

const PARAMS: Record<CaptchaType, ParamSpec[]> = {
  image: [
    {
      name: 'body',
      label: 'Image (base64, no data: prefix)',
      multiline: true,
      hint: 'A sample image is filled in.',
      sample: SAMPLE_PNG,
    },
  ],
  recaptcha_v2: [
    { name: 'googlekey', label: 'Site key (googlekey)', sample: '6Le-wvkSAAAAAPBMRTvw0Q4Muexq9bi0DJwx_mJ-' },
    { name: 'pageurl', label: 'Page URL', sample: 'https://example.com/login' },
    { name: 'invisible', label: 'Invisible', choices: YES_NO },
    { name: 'enterprise', label: 'Enterprise', choices: YES_NO },
    { name: 'dataS', label: 'data-s (Enterprise)', optional: true },
    { name: 'proxy', label: 'Proxy', optional: true, hint: PROXY_HINT },
    { name: 'proxytype', label: 'Proxy type', choices: PROXY_KINDS },
  ],
  recaptcha_v3: [
    { name: 'googlekey', label: 'Site key (googlekey)', sample: '6LfB5_IbAAAAAMCtsjEHEHKqcB9iQocwwxTiihJu' },
    { name: 'pageurl', label: 'Page URL', sample: SAMPLE_PAGE },
    { name: 'action', label: 'Action', optional: true, sample: 'login' },
    { name: 'minScore', label: 'Minimum score (0.1–0.9)', optional: true, sample: '0.3' },
  ],
  turnstile: [
    { name: 'sitekey', label: 'Site key', sample: '0x4AAAAAAAC3DHQFLr1GavRN' },
    { name: 'pageurl', label: 'Page URL', sample: SAMPLE_PAGE },
  ],
  geetest: [
    { name: 'gt', label: 'gt', sample: '81388ea1fc187e0c335c0a8907ff2625' },
    { name: 'challenge', label: 'challenge', sample: '12345678abc90123d45678ef90123a456b' },
    { name: 'pageurl', label: 'Page URL', sample: SAMPLE_PAGE },
  ],
  geetest_v4: [
    { name: 'captchaId', label: 'captcha_id', sample: 'e392e1d7fd421dc63325744d5a2b9c73' },
    { name: 'pageurl', label: 'Page URL', sample: SAMPLE_PAGE },
  ],
  cloudflare_challenge: [
    { name: 'pageurl', label: 'Page URL', sample: SAMPLE_PAGE },
    {
      name: 'proxy',
      label: 'Proxy (required: the cookie is bound to its address)',
      hint: PROXY_HINT,
      sample: '',
    },
    { name: 'proxytype', label: 'Proxy type', choices: PROXY_KINDS, sample: 'HTTP' },
    { name: 'userAgent', label: 'User-Agent', optional: true },
  ],
  bls: [
    { name: 'instructions', label: 'Instructions (the number to find)', sample: '123' },
    {
      name: 'images',
      label: 'Tiles (base64, one per line, up to 9)',
      multiline: true,
      hint: 'Three sample tiles are filled in.',
      sample: [SAMPLE_PNG, SAMPLE_PNG, SAMPLE_PNG].join('\n'),
    },
  ],
}

/** Sensible Sandbox defaults (public test keys, each parameter's sample); a real provider needs the real page's values. */
function defaults(type: CaptchaType): Record<string, string> {
  return Object.fromEntries(PARAMS[type].flatMap((p) => (p.sample === undefined ? [] : [[p.name, p.sample]])))
}

function toRequest(type: CaptchaType, f: Record<string, string>): CaptchaRequest {
  const v = (k: string) => (f[k] ?? '').trim()
  switch (type) {
    case 'image':
      return { type, body: v('body') }
    case 'recaptcha_v2':
      return {
        type,
        googlekey: v('googlekey'),
        pageurl: v('pageurl'),
        invisible: v('invisible') === 'yes' || undefined,
        enterprise: v('enterprise') === 'yes' || undefined,
        dataS: v('dataS') || undefined,
        ...(v('proxy') ? { proxy: v('proxy'), proxytype: (v('proxytype') || 'HTTP') as 'HTTP' } : {}),
      }
    case 'recaptcha_v3':
      return {
        type,
        googlekey: v('googlekey'),
        pageurl: v('pageurl'),
        action: v('action') || undefined,
        minScore: v('minScore') ? Number(v('minScore')) : undefined,
      }
    case 'turnstile':
      return { type, sitekey: v('sitekey'), pageurl: v('pageurl') }
    case 'geetest':
      return { type, gt: v('gt'), challenge: v('challenge'), pageurl: v('pageurl') }
    case 'geetest_v4':
      return { type, captchaId: v('captchaId'), pageurl: v('pageurl') }
    case 'cloudflare_challenge':
      return {
        type,
        pageurl: v('pageurl'),
        proxy: v('proxy'),
        proxytype: (v('proxytype') || 'HTTP') as 'HTTP',
        userAgent: v('userAgent') || undefined,
      }
    case 'bls':
      return {
        type,
        instructions: v('instructions'),
        images: v('images')
          .split(/\s+/)
          .filter((line) => line !== ''),
      }
  }
}

function localErrors(type: CaptchaType, f: Record<string, string>): Record<string, string> {
  const e: Record<string, string> = {}
  for (const p of PARAMS[type]) {
    const v = (f[p.name] ?? '').trim()
    if (!v && !p.optional && !p.choices) e[`request.${p.name}`] = `Enter the ${p.label.toLowerCase()}.`
  }
  const url = (f.pageurl ?? '').trim()
  if (url && !/^https?:\/\/\S+$/.test(url))
    e['request.pageurl'] = 'The page URL starts with http:// or https://.'
  const score = (f.minScore ?? '').trim()
  if (score && !/^0\.[1-9]$/.test(score)) e['request.minScore'] = 'A score from 0.1 to 0.9, e.g. 0.3.'
  return e
}

/** The admission controller's limits, as the operator knows them, and what to do about each refusal. */
const LIMITS: Record<string, { name: string; advice: string }> = {
  rate: { name: 'requests per minute', advice: 'Raise the tenant’s requests-per-minute limit, or wait.' },
  daily: {
    name: 'solves per day',
    advice: 'Raise the tenant’s daily limit, or wait for the tenant’s next day.',
  },
  concurrency: {
    name: 'concurrent solves',
    advice: 'Wait for running solves to finish, or raise the concurrent-solves limit.',
  },
  budget: {
    name: 'monthly budget',
    advice: 'Raise the tenant’s monthly budget, or wait for the next month.',
  },
  shared_capacity: {
    name: 'shared threads',
    advice: 'All shared threads are busy: wait, or raise the thread count in Settings.',
  },
  suspended: { name: 'suspension', advice: 'Resume the tenant under Tenants.' },
  unknown_tenant: { name: 'tenant', advice: 'Pick another tenant.' },
}

function Result({ zone }: { zone: string | undefined }) {
  const { result, retryAt } = useSolve()
  const now = useNow(retryAt !== null)
  const ref = useRef<HTMLDivElement>(null)
  // Focus follows the answer (the Solve button was disabled while solving, which dropped focus to the page).
  useEffect(() => {
    if (result) ref.current?.focus()
  }, [result])
  if (!result) return null
  const left = retryAt === null ? 0 : Math.max(0, retryAt - now)
  return (
    <div
      className={`card result ${result.status}`}
      role="status"
      data-testid="solve-result"
      tabIndex={-1}
      ref={ref}
    >
      {result.status === 'solved' ? (
        <>
          <h2>Solved</h2>
          <p>
            Task <span className="mono">{result.taskId}</span> · {(result.threadMs / 1000).toFixed(1)} s of
            thread time · billed {money(result.priceMicros, 6)} · upstream cost {money(result.costMicros, 6)}
          </p>
          <label htmlFor="answer" className="small muted">
            Answer
          </label>
          <textarea id="answer" className="answer mono" readOnly value={result.answer} rows={3} />
        </>
      ) : result.status === 'rejected' ? (
        <>
          <h2>
            Refused by the {result.limit.replaceAll('_', ' ')} limit (
            {LIMITS[result.limit]?.name ?? result.limit})
          </h2>
          <p>{result.message} </p>
          <p data-testid="retry-time">
            {result.retryAfterMs > 0
              ? left > 0
                ? `You can try again ${formatRetry(left, now, zone)}.`
                : 'You can try again now.'
              : ''}
          </p>
          <p className="muted small">{LIMITS[result.limit]?.advice ?? ''} Nothing was billed.</p>
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
            <span className="mono">{result.code}</span>: {result.message}
          </p>
          <p className="muted small">
            {result.keyProblem
              ? 'The upstream refused the key: check it under Settings (platform key) or on the tenant (own key).'
              : 'Failed solves are not billed. Try again, or check the upstream under Balances.'}
          </p>
        </>
      )}
    </div>
  )
}

export function TestSolve() {
  const { tenants, load, loaded } = useTenants()
  const { run, running, stages, error, fieldErrors, startedAt } = useSolve()
  const [chosenTenant, setTenantId] = useState('')
  const [type, setType] = useState<CaptchaType>('turnstile')
  const [fields, setFields] = useState<Record<string, string>>(() => defaults('turnstile'))
  const [local, setLocal] = useState<Record<string, string>>({})
  const now = useNow(running, 250)
  useEffect(() => {
    void load()
  }, [load])
  const active = useMemo(
    () => tenants.filter((t) => t.status === 'active').sort((a, b) => a.name.localeCompare(b.name)),
    [tenants],
  )
  const tenantId = active.some((t) => t.id === chosenTenant) ? chosenTenant : (active[0]?.id ?? '')

  function submit(e: FormEvent) {
    e.preventDefault()
    const errs = localErrors(type, fields)
    setLocal(errs)
    const first = Object.keys(errs)[0]
    if (first) return document.getElementById(`s-${first.slice('request.'.length)}`)?.focus()
    void run(tenantId, toRequest(type, fields))
  }
  const err = (name: string) => local[`request.${name}`] ?? fieldErrors[`request.${name}`]

  return (
    <Screen
      title="Test solve"
      intro="Runs one solve through the tenant’s limits, metering and the upstream, exactly as a tenant’s request would."
    >
      {loaded && active.length === 0 ? (
        <p className="note warn">
          No active tenant. <a href="#/tenants/new">Add a tenant</a> first.
        </p>
      ) : null}
      <form className="form-grid" onSubmit={submit} noValidate>
        <Field id="s-tenant" label="Tenant">
          <select id="s-tenant" value={tenantId} onChange={(e) => setTenantId(e.target.value)}>
            {active.map((t) => (
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
              setLocal({})
            }}
          >
            {CAPTCHA_TYPES.map((t) => (
              <option key={t} value={t}>
                {CAPTCHA_TYPE_LABELS[t]}
              </option>
            ))}
          </select>
        </Field>
        {PARAMS[type].map((p) => (
          <Field
            key={`${type}-${p.name}`}
            id={`s-${p.name}`}
            label={p.optional ? `${p.label} (optional)` : p.label}
            hint={p.hint}
            error={err(p.name)}
            className={p.multiline ? 'span-all' : undefined}
          >
            {p.choices ? (
              <select
                id={`s-${p.name}`}
                value={fields[p.name] ?? p.choices[0]}
                onChange={(e) => setFields({ ...fields, [p.name]: e.target.value })}
              >
                {p.choices.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            ) : p.multiline ? (
              <textarea
                id={`s-${p.name}`}
                className="mono"
                value={fields[p.name] ?? ''}
                onChange={(e) => setFields({ ...fields, [p.name]: e.target.value })}
              />
            ) : (
              <input
                id={`s-${p.name}`}
                spellCheck={false}
                value={fields[p.name] ?? ''}
                onChange={(e) => setFields({ ...fields, [p.name]: e.target.value })}
              />
            )}
          </Field>
        ))}
        <div className="actions span-all">
          <button type="submit" className="primary" disabled={running || !tenantId}>
            {running ? 'Solving…' : 'Solve'}
          </button>
          <button type="button" onClick={() => setFields(defaults(type))} disabled={running}>
            Reset to Sandbox defaults
          </button>
        </div>
      </form>
      <ErrorNote text={error && Object.keys(fieldErrors).length ? fieldSummary(fieldErrors, error) : error} />
      {running ? (
        <Progress label="Solving">
          Solving… {startedAt ? `${Math.max(0, Math.floor((now - startedAt) / 1000))} s` : ''}
        </Progress>
      ) : null}
      {stages.length > 0 ? (
        <ol className="stages" aria-label="Progress of the solve">
          {stages.map((s, i) => (
            <li key={i}>
              <span className="muted small">{new Date(s.at).toLocaleTimeString()}</span> {s.text}
            </li>
          ))}
        </ol>
      ) : null}
      <Result zone={active.find((t) => t.id === tenantId)?.timezone} />
    </Screen>
  )
}
