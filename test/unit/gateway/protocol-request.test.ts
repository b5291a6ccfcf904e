import { describe, expect, it } from 'vitest'
import { requestFromParams } from '../../../electron/engine/gateway'
import { makePng } from '../../support/images'

describe('gateway in.php parameter mapping', () => {
  it('maps what standard clients send to typed requests, ignoring their extra fields', () => {
    expect(
      requestFromParams({
        method: 'userrecaptcha',
        googlekey: 'k',
        pageurl: 'https://e.com',
        invisible: '1',
        soft_id: '4580',
        header_acao: '1',
      }),
    ).toEqual({
      ok: true,
      request: { type: 'recaptcha_v2', googlekey: 'k', pageurl: 'https://e.com', invisible: true },
    })
    expect(
      requestFromParams({
        method: 'userrecaptcha',
        version: 'v3',
        googlekey: 'k',
        pageurl: 'https://e.com',
        action: 'login',
        min_score: '0.3',
      }),
    ).toEqual({
      ok: true,
      request: {
        type: 'recaptcha_v3',
        googlekey: 'k',
        pageurl: 'https://e.com',
        action: 'login',
        minScore: 0.3,
      },
    })
    expect(
      requestFromParams({
        method: 'turnstile',
        sitekey: 's',
        pageurl: 'https://e.com',
        proxytype: 'http',
        proxy: 'u:p@1.2.3.4:8080',
      }),
    ).toMatchObject({
      ok: true,
      request: { type: 'turnstile', proxytype: 'HTTP' },
    })
    expect(
      requestFromParams({ method: 'base64', body: makePng().toString('base64'), numeric: '1' }),
    ).toMatchObject({ ok: true, request: { type: 'image', numeric: 1 } })
  })

  it('answers bad input with the protocol’s own codes', () => {
    expect(requestFromParams({ method: 'userrecaptcha', pageurl: 'https://e.com' })).toEqual({
      ok: false,
      code: 'ERROR_GOOGLEKEY',
    })
    expect(requestFromParams({ method: 'turnstile', sitekey: 's' })).toEqual({
      ok: false,
      code: 'ERROR_PAGEURL',
    })
    expect(requestFromParams({ method: 'turnstile', sitekey: 's', pageurl: 'ftp://e.com' })).toEqual({
      ok: false,
      code: 'ERROR_PAGEURL',
    })
    expect(requestFromParams({ method: 'base64' })).toEqual({
      ok: false,
      code: 'ERROR_ZERO_CAPTCHA_FILESIZE',
    })
    expect(
      requestFromParams({ method: 'base64', body: Buffer.alloc(200_000, 1).toString('base64') }),
    ).toEqual({ ok: false, code: 'ERROR_TOO_BIG_CAPTCHA_FILESIZE' })
    expect(requestFromParams({ method: 'geetest', pageurl: 'https://e.com', gt: 'g' })).toEqual({
      ok: false,
      code: 'ERROR_BAD_PARAMETERS',
    })
    expect(requestFromParams({ method: 'hcaptcha' })).toEqual({ ok: false, code: 'ERROR_BAD_PARAMETERS' })
    expect(requestFromParams({})).toEqual({ ok: false, code: 'ERROR_BAD_PARAMETERS' })
  })
})
