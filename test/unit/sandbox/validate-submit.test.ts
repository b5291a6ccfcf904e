import { describe, expect, it } from 'vitest'
import { checkSubmit, isImage } from '../../../electron/engine/sandbox/validate-submit'
import { makePng } from '../../support/images'

const png = makePng()
const b64 = (b: Buffer) => b.toString('base64')
const page = 'https://shop.example/login'

function code(params: Record<string, string>): string {
  const r = checkSubmit(params)
  return r.ok ? `ok:${r.type}` : r.code
}

describe('isImage', () => {
  it('recognises PNG, JPEG and GIF magic and nothing else', () => {
    expect(isImage(png)).toBe(true)
    expect(isImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]))).toBe(true)
    expect(isImage(Buffer.from('GIF89a......'))).toBe(true)
    expect(isImage(Buffer.from('GIF87a......'))).toBe(true)
    expect(isImage(Buffer.from('GIF90a......'))).toBe(false)
    expect(isImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe(false)
    expect(isImage(Buffer.from('BM......'))).toBe(false)
    expect(isImage(Buffer.alloc(0))).toBe(false)
    expect(isImage(png.subarray(0, 7))).toBe(false)
  })
})

describe('checkSubmit', () => {
  it('maps each method to its captcha type', () => {
    expect(code({ method: 'base64', body: b64(png) })).toBe('ok:image')
    expect(code({ method: 'post', body: b64(png) })).toBe('ok:image')
    expect(code({ method: 'userrecaptcha', googlekey: 'k', pageurl: page })).toBe('ok:recaptcha_v2')
    expect(
      code({ method: 'userrecaptcha', googlekey: 'k', pageurl: page, invisible: '1', enterprise: '1' }),
    ).toBe('ok:recaptcha_v2')
    expect(
      code({
        method: 'userrecaptcha',
        version: 'v3',
        action: 'login',
        min_score: '0.3',
        googlekey: 'k',
        pageurl: page,
      }),
    ).toBe('ok:recaptcha_v3')
    expect(code({ method: 'turnstile', sitekey: 's', pageurl: page, action: 'a', data: 'd' })).toBe(
      'ok:turnstile',
    )
    expect(
      code({ method: 'geetest', gt: 'g', challenge: 'c', pageurl: page, api_server: 'api.geetest.com' }),
    ).toBe('ok:geetest')
    expect(code({ method: 'TURNSTILE', sitekey: 's', pageurl: page })).toBe('ok:turnstile')
  })

  it('answers missing or bad fields with the service codes', () => {
    expect(code({ method: 'userrecaptcha', pageurl: page })).toBe('ERROR_GOOGLEKEY')
    expect(code({ method: 'userrecaptcha', googlekey: '  ', pageurl: page })).toBe('ERROR_GOOGLEKEY')
    expect(code({ method: 'userrecaptcha', googlekey: 'k' })).toBe('ERROR_PAGEURL')
    expect(code({ method: 'userrecaptcha', googlekey: 'k', pageurl: 'javascript:alert(1)' })).toBe(
      'ERROR_PAGEURL',
    )
    expect(
      code({ method: 'userrecaptcha', version: 'v3', googlekey: 'k', pageurl: page, min_score: 'high' }),
    ).toBe('ERROR_BAD_PARAMETERS')
    expect(code({ method: 'turnstile', pageurl: page })).toBe('ERROR_GOOGLEKEY')
    expect(code({ method: 'turnstile', sitekey: 's' })).toBe('ERROR_PAGEURL')
    expect(code({ method: 'geetest', challenge: 'c', pageurl: page })).toBe('ERROR_BAD_PARAMETERS')
    expect(code({ method: 'geetest', gt: 'g', pageurl: page })).toBe('ERROR_BAD_PARAMETERS')
    expect(code({ method: 'geetest', gt: 'g', challenge: 'c' })).toBe('ERROR_PAGEURL')
    expect(code({ method: 'hcaptcha', sitekey: 's', pageurl: page })).toBe('ERROR_SERVER_ERROR')
    expect(code({ method: 'funcaptcha' })).toBe('ERROR_BAD_PARAMETERS')
    expect(code({})).toBe('ERROR_BAD_PARAMETERS')
  })

  it('checks image size bounds (100 B – 100 kB decoded) and type', () => {
    expect(code({ method: 'base64' })).toBe('ERROR_ZERO_CAPTCHA_FILESIZE')
    expect(code({ method: 'base64', body: '' })).toBe('ERROR_ZERO_CAPTCHA_FILESIZE')
    expect(code({ method: 'base64', body: b64(png.subarray(0, 99)) })).toBe('ERROR_ZERO_CAPTCHA_FILESIZE')
    const at100 = Buffer.concat([png.subarray(0, 8), Buffer.alloc(92)])
    expect(code({ method: 'base64', body: b64(at100) })).toBe('ok:image')
    const atMax = Buffer.concat([png.subarray(0, 8), Buffer.alloc(100 * 1024 - 8)])
    expect(code({ method: 'base64', body: b64(atMax) })).toBe('ok:image')
    const overMax = Buffer.concat([atMax, Buffer.alloc(1)])
    expect(code({ method: 'base64', body: b64(overMax) })).toBe('ERROR_TOO_BIG_CAPTCHA_FILESIZE')
    expect(code({ method: 'base64', body: b64(Buffer.alloc(500, 0x41)) })).toBe(
      'ERROR_IMAGE_TYPE_NOT_SUPPORTED',
    )
    expect(code({ method: 'base64', body: 'not*base64!' })).toBe('ERROR_UPLOAD')
  })

  it('records the parameters worth keeping, never the key or the image body', () => {
    const r = checkSubmit({ key: 'k'.repeat(32), method: 'base64', body: b64(png) })
    expect(r.ok && r.recorded).toEqual({ bytes: String(png.length) })
    const t = checkSubmit({
      key: 'k'.repeat(32),
      method: 'turnstile',
      sitekey: 's',
      pageurl: page,
      action: 'x',
    })
    expect(t.ok && t.recorded).toEqual({ sitekey: 's', pageurl: page, action: 'x' })
  })
})
