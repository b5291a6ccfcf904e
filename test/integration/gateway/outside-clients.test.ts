/**
 * Unmodified public client packages, one per family, against the gateway and the Sandbox — each reached the way its
 * users must reach a hard-coded provider URL: hosts-file mode over HTTPS with the local CA trusted by the client
 * machine. Name resolution is simulated by the HTTPS agent's own lookup (test/support/hosts-file-client.ts); the
 * packages' code and host constants are untouched.
 *  - `2captcha` 3.0.7: the 2captcha v1 protocol, https://2captcha.com hard-coded, no base-URL option.
 *  - `@antiadmin/anticaptchaofficial`: anti-captcha's JSON API, https://api.anti-captcha.com hard-coded.
 *  - `capsolver-npm`: CapSolver's variant, https://api.capsolver.com hard-coded (the package ships TypeScript only).
 * Each solves every type it supports that CaptchaDesk supports, and sees the limits as the back-off codes it knows.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Solver as TwoCaptcha } from '2captcha'
import { openLocalCa } from '../../../electron/engine/tls/local-ca'
import { certificateNames } from '../../../electron/engine/tls/hosts-file-mode'
import { engineFixture } from '../../support/engine-fixture'
import { gatewayFor } from '../../support/gateway-fixture'
import { loadAntiCaptcha, loadCapSolver } from '../../support/client-packages'
import { installHostsFileClient } from '../../support/hosts-file-client'
import { makePng } from '../../support/images'

type Fx = Awaited<ReturnType<typeof engineFixture>>
let fx: Fx | undefined
let closeGateway: (() => Promise<void>) | undefined
let restoreAgent: (() => void) | undefined
afterEach(async () => {
  restoreAgent?.()
  await closeGateway?.()
  await fx?.close()
  restoreAgent = undefined
  closeGateway = undefined
  fx = undefined
})

const page = 'https://shop.example/login'
const siteKey = '6Le-wvkSAAAAAPBMRTvw0Q4Muexq9bi0DJwx_mJ-'
const png = () => makePng().toString('base64')
const PROXY_PASSWORD = 'pr0xyS3cret'
const anticaptcha = await loadAntiCaptcha()
const CapSolver = await loadCapSolver()

/** An engine, a gateway in hosts-file mode (HTTP + HTTPS with the local CA's certificate) and a client machine. */
async function hostsFileSetup() {
  fx = await engineFixture({ speed: 500 })
  const ca = await openLocalCa(fx.dir)
  const cert = await ca.issueServerCertificate(certificateNames([]))
  const g = await gatewayFor(fx, {
    server: {
      tls: { certPem: cert.certPem, keyPem: cert.keyPem },
    },
  })
  closeGateway = () => g.server.close()
  expect(g.server.httpsPort).toEqual(expect.any(Number))
  restoreAgent = installHostsFileClient(ca.info().certPem, g.server.httpsPort!)
  return { fx, g }
}

function attempts(fx: Fx, tenantId: string) {
  return fx.db
    .prepare('SELECT captcha_type, status, source FROM attempts WHERE tenant_id = ? ORDER BY created_at')
    .all(tenantId) as Array<{ captcha_type: string; status: string; source: string }>
}

describe('2captcha v1 client with no base-URL option, through hosts-file mode over HTTPS', () => {
  it('solves every type it supports, reports, reads its balance, and sees limits as back-off codes', async () => {
    const { fx, g } = await hostsFileSetup()
    const t = fx.addTenant({ name: 'Hosts File Co', limits: { monthlyBudgetMicros: 5_000_000 } })
    const { key } = g.keys.issue(t.id)
    const solver = new TwoCaptcha(key, 30)
    const v2 = await solver.recaptcha(siteKey, page, { invisible: true })
    const v3 = await solver.recaptcha(siteKey, page, { version: 'v3', action: 'login', min_score: 0.3 })
    const turnstile = await solver.turnstile('0x4AAAAAAAC3DHQFLr1GavRN', page)
    const geetest = await solver.geetest(
      '81388ea1fc187e0c335c0a8907ff2625',
      '12345678abc90123d45678ef90123a456b',
      page,
    )
    // The package posts the image as a JSON object with Content-Type text/plain.
    const image = await solver.imageCaptcha(png())
    for (const r of [v2, v3, turnstile, geetest, image]) expect(r.data).toEqual(expect.any(String))
    expect(JSON.parse(geetest.data)).toHaveProperty('geetest_validate')
    expect(attempts(fx, t.id).map((a) => [a.captcha_type, a.status, a.source])).toEqual([
      ['recaptcha_v2', 'solved', 'gateway'],
      ['recaptcha_v3', 'solved', 'gateway'],
      ['turnstile', 'solved', 'gateway'],
      ['geetest', 'solved', 'gateway'],
      ['image', 'solved', 'gateway'],
    ])
    expect(fx.sandbox.tasks({ type: 'recaptcha_v2' })[0]!.params).toMatchObject({ invisible: '1' })
    expect(await solver.balance()).toBeCloseTo(5 - 0.003 - 0.004 - 0.002 - 0.003 - 0.001, 6)
    await solver.goodReport(v2.id)
    await solver.report(image.id)
    expect(
      fx.sandbox
        .tasks()
        .flatMap((x) => x.reports)
        .sort(),
    ).toEqual(['bad', 'good'])
    // Unsupported by CaptchaAI: refused in the protocol's words.
    await expect(solver.hcaptcha('10000000-ffff-ffff-ffff-000000000001', page)).rejects.toMatchObject({
      err: 'ERROR_BAD_PARAMETERS',
    })

    // Limits: the rate limit answers ERROR_NO_SLOT_AVAILABLE, the monthly budget ERROR_ZERO_BALANCE.
    const limited = fx.addTenant({ name: 'Rate Limited', limits: { requestsPerMinute: 1 } })
    const slow = new TwoCaptcha(g.keys.issue(limited.id).key, 30)
    await expect(slow.turnstile('0x4AAAAAAAC3DHQFLr1GavRN', page)).resolves.toBeDefined()
    await expect(slow.turnstile('0x4AAAAAAAC3DHQFLr1GavRN', page)).rejects.toMatchObject({
      err: 'ERROR_NO_SLOT_AVAILABLE',
    })
    const broke = fx.addTenant({ name: 'Budget Spent', limits: { monthlyBudgetMicros: 1 } })
    const poor = new TwoCaptcha(g.keys.issue(broke.id).key, 30)
    await expect(poor.imageCaptcha(png())).rejects.toMatchObject({ err: 'ERROR_ZERO_BALANCE' })
  })
})

describe('anti-captcha JSON client (official npm package), through hosts-file mode over HTTPS', () => {
  it('solves every type it supports that CaptchaDesk does, proxied variants included, and reports', async () => {
    const { fx, g } = await hostsFileSetup()
    const t = fx.addTenant({ name: 'Anti Co' })
    const { key } = g.keys.issue(t.id)
    anticaptcha.setAPIKey(key)
    anticaptcha.shutUp()
    // The package's own pacing settings (seconds), shortened for the Sandbox's speed.
    anticaptcha.settings.firstAttemptWaitingInterval = 0.02
    anticaptcha.settings.normalWaitingInterval = 0.02
    const proxy = ['http', '10.20.30.40', 3128, 'agent', PROXY_PASSWORD] as const
    const answers = {
      image: await anticaptcha.solveImage(png(), true),
      v2: await anticaptcha.solveRecaptchaV2Proxyless(page, siteKey),
      v2invisible: await anticaptcha.solveRecaptchaV2Proxyless(page, siteKey, true),
      v2proxy: await anticaptcha.solveRecaptchaV2ProxyOn(page, siteKey, ...proxy, 'Mozilla/5.0 test', 'a=b'),
      v2enterprise: await anticaptcha.solveRecaptchaV2EnterpriseProxyless(page, siteKey, { s: 'S-VALUE' }),
      v2enterpriseProxy: await anticaptcha.solveRecaptchaV2EnterpriseProxyOn(
        page,
        siteKey,
        null,
        ...proxy,
        'UA',
        '',
      ),
      v3: await anticaptcha.solveRecaptchaV3(page, siteKey, 0.3, 'login'),
      v3enterprise: await anticaptcha.solveRecaptchaV3Enterprise(page, siteKey, 0.7, 'checkout'),
      turnstile: await anticaptcha.solveTurnstileProxyless(
        page,
        '0x4AAAAAAAC3DHQFLr1GavRN',
        'login',
        'cdata',
      ),
      turnstileProxy: await anticaptcha.solveTurnstileProxyOn(page, '0x4AAAAAAAC3DHQFLr1GavRN', ...proxy),
      geetest: await anticaptcha.solveGeeTestProxyless(
        page,
        '81388ea1fc187e0c335c0a8907ff2625',
        'c0ffee12',
        '',
        '',
      ),
      geetestProxy: await anticaptcha.solveGeeTestProxyOn(page, 'g1', 'c1', '', '', ...proxy, 'UA', ''),
      geetestV4: await anticaptcha.solveGeeTestV4Proxyless(page, 'e392e1d7fd421dc63325744d5a2b9c73', '', {}),
      geetestV4Proxy: await anticaptcha.solveGeeTestV4ProxyOn(
        page,
        'e392e1d7fd421dc63325744d5a2b9c73',
        '',
        {},
        ...proxy,
        'UA',
        '',
      ),
    }
    expect(answers.image).toMatch(/^[a-z0-9]{6}$/)
    for (const k of [
      'v2',
      'v2invisible',
      'v2proxy',
      'v2enterprise',
      'v2enterpriseProxy',
      'v3',
      'v3enterprise',
    ] as const)
      expect(answers[k]).toMatch(/^03A/)
    expect(answers.turnstile).toMatch(/^0\./)
    expect(answers.geetest).toEqual({
      challenge: expect.any(String),
      validate: expect.any(String),
      seccode: expect.any(String),
    })
    expect(answers.geetestV4).toMatchObject({
      captcha_id: 'e392e1d7fd421dc63325744d5a2b9c73',
      lot_number: expect.any(String),
    })
    const types = attempts(fx, t.id).map((a) => a.captcha_type)
    expect(types.filter((x) => x === 'recaptcha_v2')).toHaveLength(5)
    expect(types.filter((x) => x === 'geetest_v4')).toHaveLength(2)
    // Options and the proxy reached the upstream; the proxy's password did not reach the Sandbox's record or the ledger.
    const v2s = fx.sandbox.tasks({ type: 'recaptcha_v2' })
    expect(v2s.some((x) => x.params.enterprise === '1' && x.params['data-s'] === 'S-VALUE')).toBe(true)
    expect(v2s.some((x) => x.params.invisible === '1')).toBe(true)
    expect(v2s.some((x) => x.params.proxy === '10.20.30.40:3128' && x.params.proxy_login === '1')).toBe(true)
    expect(JSON.stringify(fx.sandbox.tasks())).not.toContain(PROXY_PASSWORD)
    expect(JSON.stringify(fx.db.prepare('SELECT * FROM attempts').all())).not.toContain(PROXY_PASSWORD)

    expect(await anticaptcha.getBalance()).toEqual(expect.any(Number))
    await expect(anticaptcha.reportIncorrectRecaptcha()).resolves.toBe(true) // the last task: GeeTest v4 (solved)
    await anticaptcha.solveImage(png(), true)
    await expect(anticaptcha.reportIncorrectImageCaptcha()).resolves.toBe(true)
    await anticaptcha.solveRecaptchaV2Proxyless(page, siteKey)
    await expect(anticaptcha.reportCorrectRecaptcha()).resolves.toBe(true)
    expect(
      fx.sandbox
        .tasks()
        .flatMap((x) => x.reports)
        .sort(),
    ).toEqual(['bad', 'bad', 'good'])
  })

  it('sees limits as ERROR_NO_SLOT_AVAILABLE and ERROR_ZERO_BALANCE, and a bad key as ERROR_KEY_DOES_NOT_EXIST', async () => {
    const { fx, g } = await hostsFileSetup()
    const t = fx.addTenant({ name: 'Limited Anti', limits: { requestsPerMinute: 1 } })
    const { key } = g.keys.issue(t.id)
    anticaptcha.setAPIKey(key)
    anticaptcha.shutUp()
    anticaptcha.settings.firstAttemptWaitingInterval = 0.02
    anticaptcha.settings.normalWaitingInterval = 0.02
    await anticaptcha.solveRecaptchaV2Proxyless(page, siteKey)
    await expect(anticaptcha.solveRecaptchaV2Proxyless(page, siteKey)).rejects.toBe('ERROR_NO_SLOT_AVAILABLE')
    const daily = fx.addTenant({ name: 'Daily Anti', limits: { solvesPerDay: 1 } })
    anticaptcha.setAPIKey(g.keys.issue(daily.id).key)
    await anticaptcha.solveRecaptchaV2Proxyless(page, siteKey)
    await expect(anticaptcha.solveRecaptchaV2Proxyless(page, siteKey)).rejects.toBe('ERROR_ZERO_BALANCE')
    anticaptcha.setAPIKey('0'.repeat(32))
    await expect(anticaptcha.getBalance()).rejects.toBe('ERROR_KEY_DOES_NOT_EXIST')
  })
})

describe('CapSolver client (capsolver-npm), through hosts-file mode over HTTPS', () => {
  it('solves every type it supports that CaptchaDesk does; image tasks answer inside createTask', async () => {
    const { fx, g } = await hostsFileSetup()
    const t = fx.addTenant({ name: 'Cap Co' })
    const { key } = g.keys.issue(t.id)
    const solver = new CapSolver({ apiKey: key, pollDelay: 30 })
    const proxy = `10.9.8.7:8080:user:${PROXY_PASSWORD}`
    const image = await solver.image2text({ body: png() })
    expect(image).toEqual({ text: expect.stringMatching(/^[a-z0-9]{6}$/) })
    const tokens = [
      await solver.recaptchav2proxyless({ websiteURL: page, websiteKey: siteKey }),
      await solver.recaptchav2({ websiteURL: page, websiteKey: siteKey, proxy }),
      await solver.recaptchav2enterpriseproxyless({ websiteURL: page, websiteKey: siteKey }),
      await solver.recaptchav2enterprise({ websiteURL: page, websiteKey: siteKey, proxy }),
      await solver.recaptchav3proxyless({
        websiteURL: page,
        websiteKey: siteKey,
        pageAction: 'login',
        proxy: '',
      }),
      await solver.recaptchav3({ websiteURL: page, websiteKey: siteKey, pageAction: 'login', proxy }),
      await solver.recaptchav3enterpriseproxyless({ websiteURL: page, websiteKey: siteKey, pageAction: 'x' }),
      await solver.recaptchav3enterprise({ websiteURL: page, websiteKey: siteKey, proxy }),
    ]
    for (const s of tokens) expect(s).toMatchObject({ gRecaptchaResponse: expect.stringMatching(/^03A/) })
    expect(
      await solver.turnstileproxyless({
        websiteURL: page,
        websiteKey: '0x4AAAAAAAC3DHQFLr1GavRN',
        metadata: { action: 'a' },
      }),
    ).toMatchObject({ token: expect.stringMatching(/^0\./) })
    expect(await solver.geetestproxyless({ websiteURL: page, gt: 'g1', challenge: 'c1' })).toMatchObject({
      challenge: expect.any(String),
      validate: expect.any(String),
    })
    expect(await solver.geetest({ websiteURL: page, gt: 'g1', challenge: 'c1', proxy })).toHaveProperty(
      'seccode',
    )
    expect(
      await solver.geetestproxyless({
        websiteURL: page,
        gt: '',
        challenge: '',
        captchaId: 'e392e1d7fd421dc63325744d5a2b9c73',
      }),
    ).toMatchObject({ captcha_id: 'e392e1d7fd421dc63325744d5a2b9c73', pass_token: expect.any(String) })
    const cf = await solver.cloudflare({ websiteURL: page, proxy })
    expect(cf).toMatchObject({ cookies: { cf_clearance: expect.any(String) }, token: expect.any(String) })
    expect(await solver.balance()).toEqual(expect.any(Number))
    const types = attempts(fx, t.id).map((a) => a.captcha_type)
    expect(types).toContain('cloudflare_challenge')
    expect(types).toContain('geetest_v4')
    expect(JSON.stringify(fx.sandbox.tasks())).not.toContain(PROXY_PASSWORD)
    expect(fx.sandbox.tasks({ type: 'cloudflare_challenge' })[0]!.params).toMatchObject({
      proxy: '10.9.8.7:8080',
    })
  })

  it('sees limits as the codes it surfaces (SolverError.errorCode)', async () => {
    const { fx, g } = await hostsFileSetup()
    const t = fx.addTenant({ name: 'Limited Cap', limits: { requestsPerMinute: 1 } })
    const { key } = g.keys.issue(t.id)
    const solver = new CapSolver({ apiKey: key, pollDelay: 30 })
    await solver.recaptchav2proxyless({ websiteURL: page, websiteKey: siteKey })
    await expect(
      solver.recaptchav2proxyless({ websiteURL: page, websiteKey: siteKey }),
    ).rejects.toMatchObject({
      errorCode: 'ERROR_NO_SLOT_AVAILABLE',
    })
    const daily = fx.addTenant({ name: 'Daily Cap', limits: { solvesPerDay: 1 } })
    const once = new CapSolver({ apiKey: g.keys.issue(daily.id).key, pollDelay: 30 })
    await once.image2text({ body: png() })
    await expect(once.image2text({ body: png() })).rejects.toMatchObject({ errorCode: 'ERROR_ZERO_BALANCE' })
  })
})
