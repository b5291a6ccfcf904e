/** in.php parameters (as platforms' existing clients send them) → a typed CaptchaRequest, or the protocol's error code. */
import type { CaptchaRequest } from '@shared/captcha'
import { captchaRequestSchema } from '@shared/captcha-schema'

const flag = (v: string | undefined): boolean | undefined =>
  v === undefined ? undefined : v === '1' || v.toLowerCase() === 'true'
const int = (v: string | undefined): number | undefined =>
  v === undefined || v === '' ? undefined : Number(v)

export function requestFromParams(
  p: Record<string, string>,
): { ok: true; request: CaptchaRequest } | { ok: false; code: string } {
  const method = (p.method ?? '').toLowerCase()
  let candidate: Record<string, unknown>
  switch (method) {
    case 'post':
    case 'base64':
      if (!p.body) return { ok: false, code: 'ERROR_ZERO_CAPTCHA_FILESIZE' }
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
      if (!p.googlekey) return { ok: false, code: 'ERROR_GOOGLEKEY' }
      if (!p.pageurl) return { ok: false, code: 'ERROR_PAGEURL' }
      candidate =
        (p.version ?? '').toLowerCase() === 'v3'
          ? {
              type: 'recaptcha_v3',
              googlekey: p.googlekey,
              pageurl: p.pageurl,
              action: p.action,
              minScore: p.min_score ? Number(p.min_score) : undefined,
              enterprise: flag(p.enterprise),
            }
          : {
              type: 'recaptcha_v2',
              googlekey: p.googlekey,
              pageurl: p.pageurl,
              invisible: flag(p.invisible),
              enterprise: flag(p.enterprise),
              dataS: p['data-s'],
              userAgent: p.userAgent,
              cookies: p.cookies,
              proxy: p.proxy,
              proxytype: p.proxytype?.toUpperCase(),
            }
      break
    case 'turnstile':
      if (!p.sitekey) return { ok: false, code: 'ERROR_GOOGLEKEY' }
      if (!p.pageurl) return { ok: false, code: 'ERROR_PAGEURL' }
      candidate = {
        type: 'turnstile',
        sitekey: p.sitekey,
        pageurl: p.pageurl,
        action: p.action,
        data: p.data,
        proxy: p.proxy,
        proxytype: p.proxytype?.toUpperCase(),
      }
      break
    case 'geetest':
      if (!p.pageurl) return { ok: false, code: 'ERROR_PAGEURL' }
      candidate = {
        type: 'geetest',
        gt: p.gt,
        challenge: p.challenge,
        pageurl: p.pageurl,
        apiServer: p.api_server,
      }
      break
    default:
      return { ok: false, code: 'ERROR_BAD_PARAMETERS' }
  }
  for (const k of Object.keys(candidate)) if (candidate[k] === undefined) delete candidate[k]
  const parsed = captchaRequestSchema.safeParse(candidate)
  if (parsed.success) return { ok: true, request: parsed.data }
  const paths = parsed.error.issues.map((i) => i.path.join('.'))
  if (paths.includes('pageurl')) return { ok: false, code: 'ERROR_PAGEURL' }
  if (paths.includes('googlekey') || paths.includes('sitekey')) return { ok: false, code: 'ERROR_GOOGLEKEY' }
  if (paths.includes('body')) {
    const msg = parsed.error.issues.find((i) => i.path[0] === 'body')?.message ?? ''
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
