/**
 * The JSON task API's `task` object → a typed CaptchaRequest. Type names of anti-captcha (and CapMonster-style look-
 * alikes), 2captcha's API v2 and CapSolver are matched without regard to case (`RecaptchaV2TaskProxyless`,
 * `ReCaptchaV2TaskProxyLess`, legacy `NoCaptchaTaskProxyless`…). Proxied variants require their proxy: anti-captcha's
 * proxyType/proxyAddress/proxyPort/proxyLogin/proxyPassword fields or CapSolver's one `proxy` string. Errors name the
 * field, never its value (a proxy password must not come back in a reply or a log).
 */
import type { CaptchaRequest } from '@shared/captcha'
import { describeIssues, parseCaptchaRequest } from '@shared/captcha-schema'

type Kind =
  | 'recaptcha_v2'
  | 'recaptcha_v2_enterprise'
  | 'recaptcha_v3'
  | 'recaptcha_v3_enterprise'
  | 'turnstile'
  | 'geetest'
  | 'image'
  | 'cloudflare_challenge'

interface TypeSpec {
  kind: Kind
  /** Proxied variants carry (and need) a proxy. */
  proxied: boolean
}

const spec = (kind: Kind, proxied = false): TypeSpec => ({ kind, proxied })

/** Every accepted type name, lower-cased. */
export const TASK_TYPES: Readonly<Record<string, TypeSpec>> = {
  recaptchav2taskproxyless: spec('recaptcha_v2'),
  nocaptchataskproxyless: spec('recaptcha_v2'),
  recaptchav2task: spec('recaptcha_v2', true),
  nocaptchatask: spec('recaptcha_v2', true),
  recaptchav2enterprisetaskproxyless: spec('recaptcha_v2_enterprise'),
  recaptchav2enterprisetask: spec('recaptcha_v2_enterprise', true),
  recaptchav3taskproxyless: spec('recaptcha_v3'),
  recaptchav3task: spec('recaptcha_v3', true),
  recaptchav3enterprisetaskproxyless: spec('recaptcha_v3_enterprise'),
  recaptchav3enterprisetask: spec('recaptcha_v3_enterprise', true),
  turnstiletaskproxyless: spec('turnstile'),
  turnstiletask: spec('turnstile', true),
  antiturnstiletaskproxyless: spec('turnstile'),
  geetesttaskproxyless: spec('geetest'),
  geetesttask: spec('geetest', true),
  imagetotexttask: spec('image'),
  anticloudflaretask: spec('cloudflare_challenge', true),
}

export type TaskParse =
  { ok: true; request: CaptchaRequest; typeName: string } | { ok: false; code: string; description?: string }

type Obj = Record<string, unknown>

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v)
const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined
const bool = (v: unknown): boolean | undefined =>
  v === true || v === 1 || v === 'true' || v === '1'
    ? true
    : v === undefined || v === null
      ? undefined
      : false
const num = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : undefined

const PROXY_SCHEMES = ['http', 'https', 'socks4', 'socks5']

/** anti-captcha / 2captcha v2 proxy fields, or CapSolver's `proxy` string → proxy + proxytype, or a problem. */
function proxyOf(task: Obj): { proxy?: string; proxytype?: string } | 'bad' {
  if (typeof task.proxy === 'string') return parseProxyString(task.proxy)
  if (task.proxyAddress === undefined && task.proxyType === undefined) return {}
  const type = str(task.proxyType)?.toLowerCase()
  const address = str(task.proxyAddress)
  const port = str(task.proxyPort)
  if (!type || !PROXY_SCHEMES.includes(type) || !address || !port) return 'bad'
  const login = str(task.proxyLogin)
  const password = str(task.proxyPassword)
  const auth = login ? `${login}:${password ?? ''}@` : ''
  return { proxy: `${auth}${address}:${port}`, proxytype: type.toUpperCase() }
}

/** CapSolver's forms: ip:port, ip:port:user:pass, scheme:ip:port[:user:pass], scheme://[user:pass@]ip:port. */
function parseProxyString(text: string): { proxy: string; proxytype: string } | 'bad' {
  const t = text.trim()
  const url = /^([a-z0-9]+):\/\/(?:([^:@/\s]+):([^@/\s]*)@)?([^:@/\s]+):(\d{1,5})\/?$/i.exec(t)
  if (url) {
    const [, scheme, user, pass, host, port] = url
    if (!PROXY_SCHEMES.includes(scheme!.toLowerCase())) return 'bad'
    return { proxy: `${user ? `${user}:${pass}@` : ''}${host}:${port}`, proxytype: scheme!.toUpperCase() }
  }
  const parts = t.split(':')
  let scheme = 'http'
  if (parts.length > 0 && PROXY_SCHEMES.includes(parts[0]!.toLowerCase()))
    scheme = parts.shift()!.toLowerCase()
  if (parts.length !== 2 && parts.length !== 4) return 'bad'
  const [host, port, user, pass] = parts
  if (!host || !port) return 'bad'
  return { proxy: `${user ? `${user}:${pass}@` : ''}${host}:${port}`, proxytype: scheme.toUpperCase() }
}

function stripDataUrl(body: unknown): unknown {
  return typeof body === 'string' ? body.replace(/^data:image\/[a-z+]+;base64,/i, '') : body
}

/** The candidate request for a kind, before validation (undefined fields are dropped afterwards). */
function candidateFor(kind: Kind, t: Obj): Obj {
  const enterprisePayload = isObj(t.enterprisePayload) ? t.enterprisePayload : {}
  switch (kind) {
    case 'recaptcha_v2':
    case 'recaptcha_v2_enterprise':
      return {
        type: 'recaptcha_v2',
        googlekey: str(t.websiteKey),
        pageurl: str(t.websiteURL),
        invisible: bool(t.isInvisible),
        enterprise: kind === 'recaptcha_v2_enterprise' || bool(t.isEnterprise) ? true : undefined,
        dataS: str(t.recaptchaDataSValue) ?? str(enterprisePayload.s),
        userAgent: str(t.userAgent),
        cookies: str(t.cookies),
      }
    case 'recaptcha_v3':
    case 'recaptcha_v3_enterprise':
      return {
        type: 'recaptcha_v3',
        googlekey: str(t.websiteKey),
        pageurl: str(t.websiteURL),
        action: str(t.pageAction),
        minScore: num(t.minScore),
        enterprise: kind === 'recaptcha_v3_enterprise' || bool(t.isEnterprise) ? true : undefined,
      }
    case 'turnstile': {
      const meta = isObj(t.metadata) ? t.metadata : {}
      return {
        type: 'turnstile',
        sitekey: str(t.websiteKey),
        pageurl: str(t.websiteURL),
        action: (str(t.action) || str(meta.action)) ?? undefined,
        data: (str(t.cData) || str(t.data) || str(meta.cdata)) ?? undefined,
      }
    }
    case 'geetest': {
      const init = isObj(t.initParameters) ? t.initParameters : {}
      const v4 = num(t.version) === 4 || t.captchaId !== undefined
      return v4
        ? {
            type: 'geetest_v4',
            captchaId: str(t.captchaId) ?? str(init.captcha_id) ?? str(t.gt),
            pageurl: str(t.websiteURL),
            apiServer: str(t.geetestApiServerSubdomain),
          }
        : {
            type: 'geetest',
            gt: str(t.gt),
            challenge: str(t.challenge),
            pageurl: str(t.websiteURL),
            apiServer: str(t.geetestApiServerSubdomain),
          }
    }
    case 'image': {
      const min = num(t.minLength)
      const max = num(t.maxLength)
      const comment = str(t.comment)
      return {
        type: 'image',
        body: stripDataUrl(t.body),
        phrase: bool(t.phrase),
        caseSensitive: bool(t.case),
        numeric: num(t.numeric),
        calc: bool(t.math),
        minLength: min ? min : undefined,
        maxLength: max ? max : undefined,
        textInstructions: comment ? comment.slice(0, 140) : undefined,
      }
    }
    case 'cloudflare_challenge':
      return { type: 'cloudflare_challenge', pageurl: str(t.websiteURL), userAgent: str(t.userAgent) }
  }
}

/** What our field names are called in the JSON API, for error descriptions. */
const JSON_FIELD: Record<string, string> = {
  googlekey: 'websiteKey',
  sitekey: 'websiteKey',
  pageurl: 'websiteURL',
  dataS: 'recaptchaDataSValue',
  minScore: 'minScore',
  action: 'pageAction',
  captchaId: 'captchaId',
  apiServer: 'geetestApiServerSubdomain',
  caseSensitive: 'case',
  calc: 'math',
  textInstructions: 'comment',
}

export function taskFromJson(task: unknown): TaskParse {
  if (!isObj(task)) return { ok: false, code: 'ERROR_TASK_ABSENT' }
  const typeName = typeof task.type === 'string' ? task.type : ''
  const key = typeName.toLowerCase()
  const found = Object.hasOwn(TASK_TYPES, key) ? TASK_TYPES[key] : undefined
  if (!found) return { ok: false, code: 'ERROR_TASK_NOT_SUPPORTED' }
  // Proxyless variants ignore stray proxy fields (some clients always send one); proxied ones need a valid proxy.
  const proxy = found.proxied ? proxyOf(task) : {}
  if (proxy === 'bad') return { ok: false, code: 'ERROR_PROXY_INCORRECT' }
  if (found.proxied && !proxy.proxy)
    return {
      ok: false,
      code: 'ERROR_PROXY_INCORRECT',
      description: `${typeName} needs a proxy (proxyType, proxyAddress, proxyPort; or proxy).`,
    }
  const candidate: Obj = { ...candidateFor(found.kind, task), ...proxy }
  // Clients send empty strings and nulls for fields they do not use: those are absent.
  for (const k of Object.keys(candidate))
    if (candidate[k] === undefined || candidate[k] === '') delete candidate[k]
  const parsed = parseCaptchaRequest(candidate)
  if (parsed.success) return { ok: true, request: parsed.data, typeName }
  const paths = parsed.error.issues.map((i) => String(i.path[0] ?? ''))
  const description = describeIssues(parsed.error).replace(
    /\b(googlekey|sitekey|pageurl|dataS|minScore|action|captchaId|apiServer|caseSensitive|calc|textInstructions)\b/g,
    (m) => JSON_FIELD[m] ?? m,
  )
  if (paths.includes('pageurl')) return { ok: false, code: 'ERROR_RECAPTCHA_INVALID_DOMAIN', description }
  if (paths.includes('googlekey') || paths.includes('sitekey'))
    return { ok: false, code: 'ERROR_RECAPTCHA_INVALID_SITEKEY', description }
  if (paths.includes('proxy') || paths.includes('proxytype'))
    return { ok: false, code: 'ERROR_PROXY_INCORRECT' }
  if (paths.includes('body')) {
    const msg = parsed.error.issues.find((i) => i.path[0] === 'body')?.message ?? ''
    return {
      ok: false,
      code: /larger/.test(msg)
        ? 'ERROR_TOO_BIG_CAPTCHA_FILESIZE'
        : /smaller/.test(msg) || candidate.body === undefined
          ? 'ERROR_ZERO_CAPTCHA_FILESIZE'
          : 'ERROR_IMAGE_TYPE_NOT_SUPPORTED',
      description,
    }
  }
  return { ok: false, code: 'ERROR_INCORRECT_SESSION_DATA', description }
}
