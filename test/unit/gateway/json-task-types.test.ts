import { describe, expect, it } from 'vitest'
import { jsonCodeOf, jsonError } from '../../../electron/engine/gateway/json-api/errors'
import { solutionFor } from '../../../electron/engine/gateway/json-api/solution'
import { TASK_TYPES, taskFromJson } from '../../../electron/engine/gateway/json-api/task-types'
import { makePng } from '../../support/images'

const site = {
  websiteURL: 'https://shop.example/login',
  websiteKey: '6Le-wvkSAAAAAPBMRTvw0Q4Muexq9bi0DJwx_mJ-',
}
const SECRET = 's3cretPass'

describe('JSON task API: task types', () => {
  it('matches anti-captcha, 2captcha v2 and CapSolver names without regard to case', () => {
    for (const type of [
      'RecaptchaV2TaskProxyless',
      'NoCaptchaTaskProxyless',
      'ReCaptchaV2TaskProxyLess',
      'recaptchav2taskproxyless',
    ])
      expect(taskFromJson({ type, ...site })).toMatchObject({
        ok: true,
        request: { type: 'recaptcha_v2', googlekey: site.websiteKey, pageurl: site.websiteURL },
      })
    expect(
      taskFromJson({ type: 'RecaptchaV2EnterpriseTaskProxyless', ...site, enterprisePayload: { s: 'S' } }),
    ).toMatchObject({
      ok: true,
      request: { type: 'recaptcha_v2', enterprise: true, dataS: 'S' },
    })
    expect(taskFromJson({ type: 'RecaptchaV2TaskProxyless', ...site, isInvisible: true })).toMatchObject({
      request: { invisible: true },
    })
    expect(
      taskFromJson({
        type: 'RecaptchaV3TaskProxyless',
        ...site,
        minScore: 0.3,
        pageAction: 'login',
        isEnterprise: true,
      }),
    ).toMatchObject({
      ok: true,
      request: { type: 'recaptcha_v3', minScore: 0.3, action: 'login', enterprise: true },
    })
    expect(taskFromJson({ type: 'ReCaptchaV3EnterpriseTaskProxyLess', ...site })).toMatchObject({
      request: { type: 'recaptcha_v3', enterprise: true },
    })
    expect(
      taskFromJson({
        type: 'AntiTurnstileTaskProxyLess',
        ...site,
        metadata: { action: 'login', cdata: 'cd' },
      }),
    ).toMatchObject({
      ok: true,
      request: { type: 'turnstile', sitekey: site.websiteKey, action: 'login', data: 'cd' },
    })
    expect(taskFromJson({ type: 'TurnstileTaskProxyless', ...site, cData: 'x' })).toMatchObject({
      request: { type: 'turnstile', data: 'x' },
    })
    expect(
      taskFromJson({ type: 'GeeTestTaskProxyless', websiteURL: site.websiteURL, gt: 'g1', challenge: 'c1' }),
    ).toMatchObject({ ok: true, request: { type: 'geetest', gt: 'g1', challenge: 'c1' } })
    // GeeTest v4: anti-captcha's npm client sends the captcha id as gt with version 4; 2captcha v2 in initParameters;
    // CapSolver as captchaId.
    for (const v4 of [
      { gt: 'cid4', version: 4 },
      { version: 4, initParameters: { captcha_id: 'cid4' } },
      { captchaId: 'cid4' },
    ])
      expect(
        taskFromJson({ type: 'GeeTestTaskProxyless', websiteURL: site.websiteURL, ...v4 }),
      ).toMatchObject({
        ok: true,
        request: { type: 'geetest_v4', captchaId: 'cid4' },
      })
    const png = makePng().toString('base64')
    expect(
      taskFromJson({
        type: 'ImageToTextTask',
        body: `data:image/png;base64,${png}`,
        case: true,
        math: 0,
        minLength: 0,
        comment: 'red',
      }),
    ).toEqual({
      ok: true,
      typeName: 'ImageToTextTask',
      request: { type: 'image', body: png, caseSensitive: true, calc: false, textInstructions: 'red' },
    })
  })

  it('proxied variants need their proxy, in either family’s form; proxyless ones ignore stray proxy fields', () => {
    const anti = {
      proxyType: 'http',
      proxyAddress: '10.1.2.3',
      proxyPort: 3128,
      proxyLogin: 'agent',
      proxyPassword: SECRET,
    }
    expect(taskFromJson({ type: 'RecaptchaV2Task', ...site, ...anti })).toMatchObject({
      ok: true,
      request: { proxy: `agent:${SECRET}@10.1.2.3:3128`, proxytype: 'HTTP' },
    })
    expect(taskFromJson({ type: 'RecaptchaV2Task', ...site })).toMatchObject({
      ok: false,
      code: 'ERROR_PROXY_INCORRECT',
    })
    for (const [proxy, expected] of [
      ['10.1.2.3:8080', { proxy: '10.1.2.3:8080', proxytype: 'HTTP' }],
      [`10.1.2.3:8080:u:${SECRET}`, { proxy: `u:${SECRET}@10.1.2.3:8080`, proxytype: 'HTTP' }],
      [`socks5:10.1.2.3:1080:u:${SECRET}`, { proxy: `u:${SECRET}@10.1.2.3:1080`, proxytype: 'SOCKS5' }],
      [
        `http://u:${SECRET}@proxy.example:8000`,
        { proxy: `u:${SECRET}@proxy.example:8000`, proxytype: 'HTTP' },
      ],
    ] as const)
      expect(taskFromJson({ type: 'AntiCloudflareTask', websiteURL: site.websiteURL, proxy })).toMatchObject({
        ok: true,
        request: { type: 'cloudflare_challenge', ...expected },
      })
    for (const bad of [`ftp://u:${SECRET}@h:1`, `u:${SECRET}`, 'h:99999', 'a:b:c'])
      expect(
        JSON.stringify(taskFromJson({ type: 'AntiCloudflareTask', websiteURL: site.websiteURL, proxy: bad })),
      ).not.toContain(SECRET)
    expect(taskFromJson({ type: 'AntiCloudflareTask', websiteURL: site.websiteURL })).toMatchObject({
      ok: false,
      code: 'ERROR_PROXY_INCORRECT',
    })
    for (const extra of [anti, { proxy: 'not a proxy' }]) {
      const stray = taskFromJson({ type: 'RecaptchaV2TaskProxyless', ...site, ...extra })
      expect(stray).toMatchObject({ ok: true })
      if (stray.ok) expect(stray.request).not.toHaveProperty('proxy')
    }
  })

  it('answers bad tasks with the codes clients know, naming fields in the API’s words', () => {
    expect(taskFromJson(undefined)).toEqual({ ok: false, code: 'ERROR_TASK_ABSENT' })
    expect(taskFromJson([1])).toEqual({ ok: false, code: 'ERROR_TASK_ABSENT' })
    expect(taskFromJson({ type: 'HCaptchaTaskProxyless', ...site })).toEqual({
      ok: false,
      code: 'ERROR_TASK_NOT_SUPPORTED',
    })
    expect(taskFromJson({ type: '__proto__' })).toEqual({ ok: false, code: 'ERROR_TASK_NOT_SUPPORTED' })
    expect(taskFromJson({ type: 'RecaptchaV2TaskProxyless', websiteKey: 'k' })).toMatchObject({
      ok: false,
      code: 'ERROR_RECAPTCHA_INVALID_DOMAIN',
      description: expect.stringContaining('websiteURL'),
    })
    expect(taskFromJson({ type: 'RecaptchaV2TaskProxyless', websiteURL: site.websiteURL })).toMatchObject({
      code: 'ERROR_RECAPTCHA_INVALID_SITEKEY',
    })
    expect(taskFromJson({ type: 'ImageToTextTask' })).toMatchObject({ code: 'ERROR_ZERO_CAPTCHA_FILESIZE' })
    expect(taskFromJson({ type: 'ImageToTextTask', body: 'AAAA' })).toMatchObject({
      code: 'ERROR_ZERO_CAPTCHA_FILESIZE',
    })
    expect(taskFromJson({ type: 'RecaptchaV3TaskProxyless', ...site, minScore: 5 })).toMatchObject({
      code: 'ERROR_INCORRECT_SESSION_DATA',
    })
    expect(Object.keys(TASK_TYPES).every((k) => k === k.toLowerCase())).toBe(true)
  })
})

describe('JSON task API: solutions and errors', () => {
  it('shapes each type’s answer as its clients read it', () => {
    expect(solutionFor('recaptcha_v2', '03AF')).toEqual({ gRecaptchaResponse: '03AF', token: '03AF' })
    expect(solutionFor('turnstile', '0.x')).toEqual({ token: '0.x' })
    expect(solutionFor('image', 'abc12')).toEqual({ text: 'abc12' })
    expect(
      solutionFor(
        'geetest',
        JSON.stringify({ geetest_challenge: 'c', geetest_validate: 'v', geetest_seccode: 's' }),
      ),
    ).toEqual({ challenge: 'c', validate: 'v', seccode: 's' })
    expect(solutionFor('geetest', 'challenge:c;validate:v;seccode:s')).toEqual({
      challenge: 'c',
      validate: 'v',
      seccode: 's',
    })
    const v4 = { captcha_id: 'i', lot_number: 'l', pass_token: 'p', gen_time: '1', captcha_output: 'o' }
    expect(solutionFor('geetest_v4', JSON.stringify(v4))).toEqual(v4)
    expect(
      solutionFor(
        'cloudflare_challenge',
        JSON.stringify({ cookies: { cf_clearance: 'cf' }, userAgent: 'UA' }),
      ),
    ).toEqual({
      cookies: { cf_clearance: 'cf' },
      token: 'cf',
      userAgent: 'UA',
    })
    expect(solutionFor('bls', '[1,4]')).toEqual({ answer: [1, 4] })
  })

  it('maps the gateway’s v1 codes to the JSON API’s, with anti-captcha’s error ids', () => {
    expect(jsonCodeOf('ERROR_NO_SLOT_AVAILABLE')).toBe('ERROR_NO_SLOT_AVAILABLE')
    expect(jsonCodeOf('ERROR_ZERO_BALANCE')).toBe('ERROR_ZERO_BALANCE')
    expect(jsonCodeOf('ERROR_WRONG_USER_KEY')).toBe('ERROR_KEY_DOES_NOT_EXIST')
    expect(jsonCodeOf('IP_BANNED')).toBe('ERROR_IP_BLOCKED')
    expect(jsonCodeOf('ERROR_WRONG_CAPTCHA_ID')).toBe('ERROR_NO_SUCH_CAPCHA_ID')
    expect(jsonCodeOf('toString')).toBe('ERROR_CAPTCHA_UNSOLVABLE')
    expect(jsonError('ERROR_KEY_DOES_NOT_EXIST')).toMatchObject({ errorId: 1 })
    expect(jsonError('ERROR_NO_SLOT_AVAILABLE')).toMatchObject({ errorId: 2 })
    expect(jsonError('ERROR_ZERO_BALANCE')).toMatchObject({ errorId: 10 })
    expect(jsonError('ERROR_CAPTCHA_UNSOLVABLE', { taskId: 'x' })).toMatchObject({ errorId: 12, taskId: 'x' })
    expect(jsonError('SOMETHING_NEW').errorId).toBeGreaterThan(0)
  })
})
