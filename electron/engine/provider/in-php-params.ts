/** CaptchaRequest → the in.php form fields of the 2captcha protocol. */
import type { CaptchaRequest } from '@shared/captcha'

export function inPhpParams(request: CaptchaRequest): Record<string, string> {
  const p: Record<string, string> = {}
  const set = (name: string, value: string | number | boolean | undefined): void => {
    if (value === undefined || value === false) return
    p[name] = value === true ? '1' : String(value)
  }
  switch (request.type) {
    case 'image':
      set('method', 'base64')
      set('body', request.body.replace(/[\r\n]/g, ''))
      set('phrase', request.phrase)
      set('regsense', request.caseSensitive)
      set('numeric', request.numeric || undefined)
      set('calc', request.calc)
      set('min_len', request.minLength)
      set('max_len', request.maxLength)
      set('textinstructions', request.textInstructions)
      break
    case 'recaptcha_v2':
      set('method', 'userrecaptcha')
      set('googlekey', request.googlekey)
      set('pageurl', request.pageurl)
      set('invisible', request.invisible)
      set('enterprise', request.enterprise)
      set('data-s', request.dataS)
      set('userAgent', request.userAgent)
      set('cookies', request.cookies)
      set('proxy', request.proxy)
      set('proxytype', request.proxytype)
      break
    case 'recaptcha_v3':
      set('method', 'userrecaptcha')
      set('version', 'v3')
      set('googlekey', request.googlekey)
      set('pageurl', request.pageurl)
      set('action', request.action)
      set('min_score', request.minScore)
      set('enterprise', request.enterprise)
      set('proxy', request.proxy)
      set('proxytype', request.proxytype)
      break
    case 'turnstile':
      set('method', 'turnstile')
      set('sitekey', request.sitekey)
      set('pageurl', request.pageurl)
      set('action', request.action)
      set('data', request.data)
      set('proxy', request.proxy)
      set('proxytype', request.proxytype)
      break
    case 'geetest':
      set('method', 'geetest')
      set('gt', request.gt)
      set('challenge', request.challenge)
      set('pageurl', request.pageurl)
      set('api_server', request.apiServer)
      set('proxy', request.proxy)
      set('proxytype', request.proxytype)
      break
    case 'geetest_v4':
      // CaptchaAI's form: method=geetest with version=4 (2captcha also reads it this way).
      set('method', 'geetest')
      set('version', 4)
      set('captcha_id', request.captchaId)
      set('pageurl', request.pageurl)
      set('api_server', request.apiServer)
      set('proxy', request.proxy)
      set('proxytype', request.proxytype)
      break
    case 'cloudflare_challenge':
      set('method', 'cloudflare_challenge')
      set('pageurl', request.pageurl)
      set('proxy', request.proxy)
      set('proxytype', request.proxytype)
      set('userAgent', request.userAgent)
      break
    case 'bls':
      set('method', 'bls')
      set('instructions', request.instructions)
      request.images.forEach((tile, i) => set(`image_base64_${i + 1}`, tile.replace(/[\r\n]/g, '')))
      break
    default: {
      const unknown: never = request
      throw new TypeError(`No in.php form for ${(unknown as { type: string }).type}`)
    }
  }
  return p
}
