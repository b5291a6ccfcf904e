/** in.php parameters (as platforms' existing clients send them) → a typed CaptchaRequest, or the protocol's error code. */
import type { CaptchaRequest } from '@shared/captcha'
import { parseCaptchaRequest } from '@shared/captcha-schema'

const flag = (v: string | undefined): boolean | undefined =>
  v === undefined ? undefined : v === '1' || v.toLowerCase() === 'true'
const int = (v: string | undefined): number | undefined =>
  v === undefined || v === '' ? undefined : Number(v)
/** proxy + proxytype as sent; a proxy without a type is HTTP (2captcha's default). */
const proxyOf = (p: Record<string, string>): { proxy?: string; proxytype?: string } =>
  p.proxy === undefined
    ? { proxytype: p.proxytype?.toUpperCase() }
    : { proxy: p.proxy, proxytype: (p.proxytype || 'HTTP').toUpperCase() }

/** A token type's request: its own fields, then the page and the proxy as sent. */
const onPage = (p: Record<string, string>, fields: Record<string, unknown>): Record<string, unknown> => ({
  ...fields,
  pageurl: p.pageurl,
  ...proxyOf(p),
})

/** The error code of the first required parameter that is missing or empty (checked in this order). */
function firstMissing(
  p: Record<string, string>,
  required: ReadonlyArray<readonly [param: string, code: string]>,
): string | undefined {
  return required.find(([param]) => !p[param])?.[1]
}

const PAGEURL = ['pageurl', 'ERROR_PAGEURL'] as const

export function requestFromParams(
  p: Record<string, string>,
): { ok: true; request: CaptchaRequest } | { ok: false; code: string } {
  const method = (p.method ?? '').toLowerCase()
  let candidate: Record<string, unknown>
  let missing: string | undefined
  switch (method) {
    case 'post':
    case 'base64':
      missing = firstMissing(p, [['body', 'ERROR_ZERO_CAPTCHA_FILESIZE']])
      candidate = {
        type: 'image',
        body: p.body,
        phrase: flag(p.phrase),
        caseSensitive: flag(p.regsense),
        numeric: int(p.numeric),
        calc: flag(p.calc),
        minLength: int(p.min_len),
        maxLength: int(p.max_len),
        textInstructions: p.textinstructions,
      }
      break
    case 'userrecaptcha':
      missing = firstMissing(p, [['googlekey', 'ERROR_GOOGLEKEY'], PAGEURL])
      candidate =
        (p.version ?? '').toLowerCase() === 'v3'
          ? onPage(p, {
              type: 'recaptcha_v3',
              googlekey: p.googlekey,
              action: p.action,
              minScore: p.min_score ? Number(p.min_score) : undefined,
              enterprise: flag(p.enterprise),
            })
          : onPage(p, {
              type: 'recaptcha_v2',
              googlekey: p.googlekey,
              invisible: flag(p.invisible),
              enterprise: flag(p.enterprise),
              dataS: p['data-s'],
              userAgent: p.userAgent,
              cookies: p.cookies,
            })
      break
    case 'turnstile':
      missing = firstMissing(p, [['sitekey', 'ERROR_GOOGLEKEY'], PAGEURL])
      candidate = onPage(p, { type: 'turnstile', sitekey: p.sitekey, action: p.action, data: p.data })
      break
    case 'geetest':
    case 'geetest_v4':
      missing = firstMissing(p, [PAGEURL])
      candidate =
        method === 'geetest_v4' || p.version === '4'
          ? onPage(p, { type: 'geetest_v4', captchaId: p.captcha_id, apiServer: p.api_server })
          : onPage(p, { type: 'geetest', gt: p.gt, challenge: p.challenge, apiServer: p.api_server })
      break
    case 'cloudflare_challenge':
      missing = firstMissing(p, [PAGEURL, ['proxy', 'ERROR_BAD_PARAMETERS']])
      candidate = onPage(p, { type: 'cloudflare_challenge', userAgent: p.userAgent })
      break
    case 'bls': {
      const images: string[] = []
      for (let i = 1; i <= 9; i++) if (p[`image_base64_${i}`]) images.push(p[`image_base64_${i}`]!)
      if (images.length === 0 && p.body) images.push(p.body)
      if (images.length === 0) return { ok: false, code: 'ERROR_ZERO_CAPTCHA_FILESIZE' }
      candidate = { type: 'bls', instructions: p.instructions, images }
      break
    }
    default:
      return { ok: false, code: 'ERROR_BAD_PARAMETERS' }
  }
  if (missing) return { ok: false, code: missing }
  for (const k of Object.keys(candidate)) if (candidate[k] === undefined) delete candidate[k]
  const parsed = parseCaptchaRequest(candidate)
  if (parsed.success) return { ok: true, request: parsed.data }
  const paths = parsed.error.issues.map((i) => i.path.join('.'))
  if (paths.includes('pageurl')) return { ok: false, code: 'ERROR_PAGEURL' }
  if (paths.includes('googlekey') || paths.includes('sitekey')) return { ok: false, code: 'ERROR_GOOGLEKEY' }
  if (paths.some((x) => x === 'proxy' || x === 'proxytype')) return { ok: false, code: 'ERROR_BAD_PROXY' }
  const image = parsed.error.issues.find((i) => i.path[0] === 'body' || i.path[0] === 'images')
  if (image) {
    const msg = image.message
    return {
      ok: false,
      code: /larger/.test(msg)
        ? 'ERROR_TOO_BIG_CAPTCHA_FILESIZE'
        : /smaller/.test(msg)
          ? 'ERROR_ZERO_CAPTCHA_FILESIZE'
          : 'ERROR_UPLOAD',
    }
  }
  return { ok: false, code: 'ERROR_BAD_PARAMETERS' }
}
