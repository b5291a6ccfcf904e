import { describe, expect, it } from 'vitest'
import { classifyCode } from '../../../electron/engine/provider'
import { parseReply } from '../../../electron/engine/provider/upstream-http'
import { parseDecimalBalance } from '../../../electron/engine/provider/balance'
import { inPhpParams } from '../../../electron/engine/provider/in-php-params'
import { captchaRequestSchema } from '@shared/captcha-schema'

const captchaai = { zeroBalanceMeansNoThreads: true }
const twocaptcha = { zeroBalanceMeansNoThreads: false }

describe('error classification', () => {
  it.each([
    ['ERROR_WRONG_USER_KEY', 'stop_key'],
    ['ERROR_KEY_DOES_NOT_EXIST', 'stop_key'],
    ['IP_BANNED', 'stop_key'],
    ['ERROR_IP_NOT_ALLOWED', 'stop_key'],
    ['ERROR_NO_SLOT_AVAILABLE', 'retry'],
    ['ERROR_SERVER_ERROR', 'retry'],
    ['MAX_USER_TURN', 'retry'],
    ['ERROR_TOO_MUCH_REQUESTS', 'retry'],
    ['HTTP_502', 'retry'],
    ['HTTP_429', 'retry'],
    ['NETWORK_ERROR', 'retry'],
    ['BAD_REPLY', 'retry'],
    ['ERROR_PAGEURL', 'fail_task'],
    ['ERROR_GOOGLEKEY', 'fail_task'],
    ['ERROR_BAD_PARAMETERS', 'fail_task'],
    ['ERROR_CAPTCHA_UNSOLVABLE', 'fail_task'],
    ['ERROR_WRONG_CAPTCHA_ID', 'fail_task'],
    ['ERROR_TOKEN_EXPIRED', 'fail_task'],
    ['ERROR_BAD_PROXY', 'fail_task'],
    ['ERROR_SOMETHING_NEW', 'fail_task'],
  ])('%s → %s', (code, action) => {
    expect(classifyCode(code, captchaai).action).toBe(action)
  })

  it('ERROR_ZERO_BALANCE means "no free threads" on CaptchaAI and "no money" on 2captcha', () => {
    expect(classifyCode('ERROR_ZERO_BALANCE', captchaai).action).toBe('retry')
    expect(classifyCode('ERROR_ZERO_BALANCE', twocaptcha).action).toBe('stop_key')
  })

  it('IP_BANNED lifts after five minutes; server errors are capped', () => {
    expect(classifyCode('IP_BANNED', captchaai).liftsAfterMs).toBe(300_000)
    expect(classifyCode('ERROR_SERVER_ERROR', captchaai).maxRetries).toBe(3)
  })
})

describe('reply parsing', () => {
  it('normalises numeric ids and object answers to strings', () => {
    expect(parseReply('{"status":1,"request":73000000001}')).toEqual({ ok: true, request: '73000000001' })
    expect(parseReply('{"status":1,"request":{"geetest_challenge":"a"}}').request).toBe(
      '{"geetest_challenge":"a"}',
    )
    expect(parseReply('{"status":0,"request":"CAPCHA_NOT_READY"}')).toEqual({
      ok: false,
      request: 'CAPCHA_NOT_READY',
    })
  })
  it('turns HTML and truncated JSON into BAD_REPLY (retry)', () => {
    for (const text of ['<html>502</html>', '{"status":1,"requ', '{}', '{"status":1,"request":null}']) {
      expect(() => parseReply(text)).toThrow(expect.objectContaining({ code: 'BAD_REPLY', action: 'retry' }))
    }
  })
  it('parses balances exactly', () => {
    expect(parseDecimalBalance('12.345')).toBe(12_345_000)
    expect(parseDecimalBalance('10')).toBe(10_000_000)
    expect(parseDecimalBalance('0.1234567')).toBe(123_456)
    expect(() => parseDecimalBalance('$10')).toThrow()
  })
})

describe('in.php parameters', () => {
  it('maps typed requests to protocol fields', () => {
    expect(
      inPhpParams({
        type: 'recaptcha_v3',
        googlekey: 'k',
        pageurl: 'https://e.com',
        action: 'login',
        minScore: 0.3,
      }),
    ).toEqual({
      method: 'userrecaptcha',
      version: 'v3',
      googlekey: 'k',
      pageurl: 'https://e.com',
      action: 'login',
      min_score: '0.3',
    })
    expect(
      inPhpParams({
        type: 'recaptcha_v2',
        googlekey: 'k',
        pageurl: 'https://e.com',
        invisible: true,
        dataS: 'abc',
      }),
    ).toMatchObject({
      invisible: '1',
      'data-s': 'abc',
    })
    expect(
      inPhpParams({
        type: 'geetest',
        gt: 'g',
        challenge: 'c',
        pageurl: 'https://e.com',
        apiServer: 'api.geetest.com',
      }),
    ).toMatchObject({
      method: 'geetest',
      api_server: 'api.geetest.com',
    })
  })
  it('the schema refuses unknown fields and types', () => {
    expect(
      captchaRequestSchema.safeParse({ type: 'turnstile', sitekey: 's', pageurl: 'https://e.com', extra: 1 })
        .success,
    ).toBe(false)
    expect(captchaRequestSchema.safeParse({ type: 'funcaptcha' }).success).toBe(false)
    expect(
      captchaRequestSchema.safeParse({ type: 'turnstile', sitekey: 's', pageurl: 'https://e.com' }).success,
    ).toBe(true)
  })
})
