import { describe, expect, it } from 'vitest'
import { captchaRequestSchema, describeIssues, parseCaptchaRequest } from '@shared/captcha-schema'
import { makePng } from '../../support/images'

const png = makePng().toString('base64')

function problems(input: unknown): string {
  const r = captchaRequestSchema.safeParse(input)
  return r.success ? '' : describeIssues(r.error)
}

describe('captchaRequestSchema', () => {
  it('accepts a valid request of every type', () => {
    const valid = [
      { type: 'image', body: png, numeric: 1, minLength: 4, maxLength: 6, caseSensitive: true },
      {
        type: 'recaptcha_v2',
        googlekey: '6Le-wvkSAAAAAPBMRTvw0Q4Muexq9bi0DJwx_mJ-',
        pageurl: 'https://example.com/login',
        invisible: true,
        enterprise: true,
        proxy: 'user:pass@10.0.0.1:3128',
        proxytype: 'HTTP',
      },
      { type: 'recaptcha_v3', googlekey: 'k', pageurl: 'https://e.com', action: 'login', minScore: 0.3 },
      { type: 'turnstile', sitekey: '0x4AAAAAAAC3DHQFLr1GavRN', pageurl: 'https://e.com', action: 'x' },
      {
        type: 'geetest',
        gt: 'abc123',
        challenge: 'def456',
        pageurl: 'https://e.com',
        apiServer: 'api.geetest.com',
      },
    ]
    for (const v of valid) expect(problems(v)).toBe('')
  })

  it('trims text fields', () => {
    const r = captchaRequestSchema.parse({ type: 'turnstile', sitekey: '  s  ', pageurl: ' https://e.com ' })
    expect(r).toEqual({ type: 'turnstile', sitekey: 's', pageurl: 'https://e.com' })
  })

  it.each([
    [{ type: 'recaptcha_v2', googlekey: '', pageurl: 'https://e.com' }, /googlekey/],
    [{ type: 'recaptcha_v2', googlekey: 'k' }, /pageurl/],
    [{ type: 'turnstile', sitekey: 's', pageurl: 'javascript:alert(1)' }, /pageurl/],
    [{ type: 'turnstile', sitekey: 's', pageurl: 'ftp://e.com' }, /pageurl/],
    [{ type: 'turnstile', sitekey: 's p a c e', pageurl: 'https://e.com' }, /sitekey/],
    [{ type: 'recaptcha_v3', googlekey: 'k', pageurl: 'https://e.com', minScore: 2 }, /minScore/],
    [{ type: 'recaptcha_v3', googlekey: 'k', pageurl: 'https://e.com', action: 'a b' }, /action/],
    [{ type: 'geetest', gt: 'g', pageurl: 'https://e.com' }, /challenge/],
    [
      { type: 'geetest', gt: 'g', challenge: 'c', pageurl: 'https://e.com', apiServer: 'http://x/' },
      /apiServer/,
    ],
    [{ type: 'image', body: 'data:image/png;base64,AAAA' }, /body/],
    [{ type: 'image', body: 'QUJD' }, /body.*smaller/],
    [{ type: 'image', body: 'A'.repeat(140_000) }, /body.*larger/],
    [{ type: 'image', body: png, minLength: 6, maxLength: 4 }, /minLength/],
    [{ type: 'image', body: png, numeric: 7 }, /numeric/],
    [{ type: 'recaptcha_v2', googlekey: 'k', pageurl: 'https://e.com', proxy: 'not a proxy' }, /proxy/],
    [{ type: 'recaptcha_v2', googlekey: 'k', pageurl: 'https://e.com', proxytype: 'FTP' }, /proxytype/],
    [{ type: 'turnstile', sitekey: 's', pageurl: 'https://e.com', extra: 1 }, /extra|Unrecognized/i],
    [{ type: 'hcaptcha', sitekey: 's', pageurl: 'https://e.com' }, /type|discriminator|Invalid/i],
  ])('refuses %j naming the problem', (input, pattern) => {
    const text = problems(input)
    expect(text).not.toBe('')
    expect(text).toMatch(pattern)
  })

  it('refuses values that are not objects', () => {
    for (const v of [null, undefined, 'turnstile', 42, []]) expect(problems(v)).not.toBe('')
  })
})

describe('parseCaptchaRequest', () => {
  it('checks a request once: what it returned passes again as it is, frozen; anything else is parsed in full', () => {
    const input = { type: 'turnstile', sitekey: 's', pageurl: 'https://example.com' }
    const first = parseCaptchaRequest(input)
    expect(first.success).toBe(true)
    const data = first.data!
    expect(Object.isFrozen(data)).toBe(true)
    expect(() => Object.assign(data, { sitekey: '' })).toThrow(TypeError)
    const again = parseCaptchaRequest(data)
    expect(again.success && again.data).toBe(data) // the same object, not a fresh parse
    // A copy (changed or not) is a new object: parsed in full.
    expect(parseCaptchaRequest({ ...data, pageurl: 'not a url' }).success).toBe(false)
    expect(parseCaptchaRequest({ ...data }).data).not.toBe(data)
    // A request that failed is never remembered.
    const bad = { type: 'turnstile', sitekey: '', pageurl: 'https://example.com' }
    expect(parseCaptchaRequest(bad).success).toBe(false)
    expect(parseCaptchaRequest(bad).success).toBe(false)
    expect(parseCaptchaRequest(null).success).toBe(false)
  })

  it('freezes a grid request’s images too: nothing can be added to a request already checked', () => {
    const image = makePng().toString('base64')
    const parsed = parseCaptchaRequest({ type: 'bls', instructions: '7', images: [image] })
    expect(parsed.success).toBe(true)
    const images = (parsed.data as { images: string[] }).images
    expect(Object.isFrozen(images)).toBe(true)
    expect(() => images.push(image)).toThrow(TypeError)
  })
})
