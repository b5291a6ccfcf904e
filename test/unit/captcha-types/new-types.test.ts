/**
 * GeeTest v4, Cloudflare challenge pages, BLS grids and proxy pass-through through every layer that has its own
 * reading of a task: the shared schema, the gateway's in.php mapping, the provider's in.php form and the Sandbox's
 * checks. Proxy credentials never appear in a validation message or in what the Sandbox records.
 */
import { describe, expect, it } from 'vitest'
import {
  CAPTCHA_TYPES,
  CAPTCHA_TYPE_LABELS,
  DEFAULT_COST_PRICES,
  DEFAULT_TENANT_PRICES,
} from '@shared/captcha'
import { captchaRequestSchema, describeIssues } from '@shared/captcha-schema'
import { requestFromParams } from '../../../electron/engine/gateway/protocol-request'
import { inPhpParams } from '../../../electron/engine/provider/in-php-params'
import { checkSubmit } from '../../../electron/engine/sandbox/validate-submit'
import { makePng } from '../../support/images'

const tile = makePng().toString('base64')
const page = 'https://shop.example/login'
const SECRET = 'hunter2pass'

describe('new captcha types', () => {
  it('each type has a label and a default price', () => {
    for (const t of CAPTCHA_TYPES) {
      expect(CAPTCHA_TYPE_LABELS[t]).toMatch(/\S/)
      expect(DEFAULT_COST_PRICES[t]).toBeGreaterThan(0)
      expect(DEFAULT_TENANT_PRICES[t]).toBeGreaterThan(0)
    }
  })

  it('GeeTest v4 maps from both in.php spellings and goes upstream as method=geetest&version=4', () => {
    const spellings: Array<Record<string, string>> = [
      { method: 'geetest', version: '4', captcha_id: 'e392e1d7fd421dc63325744d5a2b9c73', pageurl: page },
      { method: 'geetest_v4', captcha_id: 'e392e1d7fd421dc63325744d5a2b9c73', pageurl: page },
    ]
    for (const p of spellings) {
      const r = requestFromParams(p)
      expect(r).toEqual({
        ok: true,
        request: { type: 'geetest_v4', captchaId: 'e392e1d7fd421dc63325744d5a2b9c73', pageurl: page },
      })
      if (!r.ok) continue
      const form = inPhpParams(r.request)
      expect(form).toEqual({
        method: 'geetest',
        version: '4',
        captcha_id: 'e392e1d7fd421dc63325744d5a2b9c73',
        pageurl: page,
      })
      expect(checkSubmit(form)).toMatchObject({ ok: true, type: 'geetest_v4' })
    }
    expect(requestFromParams({ method: 'geetest', version: '4', pageurl: page })).toEqual({
      ok: false,
      code: 'ERROR_BAD_PARAMETERS',
    })
    expect(checkSubmit({ method: 'geetest', version: '4', pageurl: page })).toEqual({
      ok: false,
      code: 'ERROR_BAD_PARAMETERS',
    })
  })

  it('a Cloudflare challenge needs a proxy; it is passed upstream and recorded without its login', () => {
    const p = {
      method: 'cloudflare_challenge',
      pageurl: page,
      proxy: `user:${SECRET}@10.1.2.3:3128`,
      proxytype: 'http',
      userAgent: 'Mozilla/5.0 test',
    }
    const r = requestFromParams(p)
    expect(r).toEqual({
      ok: true,
      request: {
        type: 'cloudflare_challenge',
        pageurl: page,
        proxy: `user:${SECRET}@10.1.2.3:3128`,
        proxytype: 'HTTP',
        userAgent: 'Mozilla/5.0 test',
      },
    })
    if (!r.ok) return
    const form = inPhpParams(r.request)
    expect(form).toMatchObject({ method: 'cloudflare_challenge', proxy: p.proxy, proxytype: 'HTTP' })
    const check = checkSubmit(form)
    expect(check).toMatchObject({ ok: true, type: 'cloudflare_challenge' })
    if (check.ok) {
      expect(check.recorded).toMatchObject({ proxy: '10.1.2.3:3128', proxy_login: '1', proxytype: 'HTTP' })
      expect(JSON.stringify(check.recorded)).not.toContain(SECRET)
    }
    const { proxy: _p, proxytype: _t, ...noProxy } = p
    expect(requestFromParams(noProxy)).toEqual({ ok: false, code: 'ERROR_BAD_PARAMETERS' })
    expect(checkSubmit({ ...noProxy })).toEqual({ ok: false, code: 'ERROR_BAD_PARAMETERS' })
    expect(captchaRequestSchema.safeParse({ type: 'cloudflare_challenge', pageurl: page }).success).toBe(
      false,
    )
  })

  it('BLS takes one to nine tiles and an instruction; each tile is checked like an image', () => {
    const p = { method: 'bls', instructions: '123', image_base64_1: tile, image_base64_2: tile }
    const r = requestFromParams(p)
    expect(r).toEqual({ ok: true, request: { type: 'bls', instructions: '123', images: [tile, tile] } })
    if (!r.ok) return
    const form = inPhpParams(r.request)
    expect(form).toEqual({ method: 'bls', instructions: '123', image_base64_1: tile, image_base64_2: tile })
    expect(checkSubmit(form)).toMatchObject({ ok: true, type: 'bls', recorded: { images: '2' } })
    expect(requestFromParams({ method: 'bls', instructions: '1', body: tile })).toMatchObject({
      ok: true,
      request: { images: [tile] },
    })
    expect(requestFromParams({ method: 'bls', instructions: '1' })).toEqual({
      ok: false,
      code: 'ERROR_ZERO_CAPTCHA_FILESIZE',
    })
    expect(requestFromParams({ method: 'bls', image_base64_1: tile })).toEqual({
      ok: false,
      code: 'ERROR_BAD_PARAMETERS',
    })
    expect(requestFromParams({ method: 'bls', instructions: '1', image_base64_1: 'AAAA' })).toEqual({
      ok: false,
      code: 'ERROR_ZERO_CAPTCHA_FILESIZE',
    })
    expect(checkSubmit({ method: 'bls', instructions: '1', image_base64_1: 'AAAA' })).toEqual({
      ok: false,
      code: 'ERROR_ZERO_CAPTCHA_FILESIZE',
    })
    const ten = Array.from({ length: 10 }, () => tile)
    expect(captchaRequestSchema.safeParse({ type: 'bls', instructions: '1', images: ten }).success).toBe(
      false,
    )
  })

  it('proxies are validated everywhere they are accepted, and messages never repeat the value', () => {
    const bad = [`user:${SECRET}@host`, `user:${SECRET}@host:0`, `user:${SECRET}@host:70000`, 'a b:80']
    for (const proxy of bad) {
      const parsed = captchaRequestSchema.safeParse({
        type: 'turnstile',
        sitekey: 's',
        pageurl: page,
        proxy,
        proxytype: 'HTTP',
      })
      expect(parsed.success).toBe(false)
      if (!parsed.success) expect(describeIssues(parsed.error)).not.toContain(SECRET)
      expect(requestFromParams({ method: 'turnstile', sitekey: 's', pageurl: page, proxy })).toEqual({
        ok: false,
        code: 'ERROR_BAD_PROXY',
      })
      expect(
        checkSubmit({ method: 'turnstile', sitekey: 's', pageurl: page, proxy, proxytype: 'HTTP' }),
      ).toEqual({ ok: false, code: 'ERROR_BAD_PROXY' })
    }
    // A proxy without a type is HTTP (2captcha's default); a type alone, or an unknown type, is refused.
    expect(
      requestFromParams({ method: 'geetest', gt: 'g', challenge: 'c', pageurl: page, proxy: '1.2.3.4:80' }),
    ).toMatchObject({ ok: true, request: { proxy: '1.2.3.4:80', proxytype: 'HTTP' } })
    expect(
      requestFromParams({ method: 'turnstile', sitekey: 's', pageurl: page, proxytype: 'SOCKS5' }),
    ).toEqual({ ok: false, code: 'ERROR_BAD_PROXY' })
    expect(
      requestFromParams({
        method: 'turnstile',
        sitekey: 's',
        pageurl: page,
        proxy: '1.2.3.4:80',
        proxytype: 'FTP',
      }),
    ).toEqual({ ok: false, code: 'ERROR_BAD_PROXY' })
    expect(
      checkSubmit({
        method: 'turnstile',
        sitekey: 's',
        pageurl: page,
        proxy: '1.2.3.4:80',
        proxytype: 'FTP',
      }),
    ).toEqual({ ok: false, code: 'ERROR_BAD_PARAMETERS' })
    const geetest = inPhpParams({
      type: 'geetest',
      gt: 'g',
      challenge: 'c',
      pageurl: page,
      proxy: '1.2.3.4:80',
      proxytype: 'SOCKS5',
    })
    expect(geetest).toMatchObject({ proxy: '1.2.3.4:80', proxytype: 'SOCKS5' })
  })

  it('reCAPTCHA v2 Enterprise and invisible options reach the upstream form', () => {
    const r = requestFromParams({
      method: 'userrecaptcha',
      googlekey: 'k',
      pageurl: page,
      enterprise: '1',
      invisible: '1',
      'data-s': 'abc',
    })
    expect(r).toMatchObject({ ok: true, request: { enterprise: true, invisible: true, dataS: 'abc' } })
    if (!r.ok) return
    const form = inPhpParams(r.request)
    expect(form).toMatchObject({ enterprise: '1', invisible: '1', 'data-s': 'abc' })
    expect(checkSubmit(form)).toMatchObject({
      ok: true,
      type: 'recaptcha_v2',
      recorded: { enterprise: '1', invisible: '1', 'data-s': 'abc' },
    })
  })
})
