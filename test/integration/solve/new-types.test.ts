/**
 * GeeTest v4, Cloudflare challenge pages, BLS grids and reCAPTCHA v2 Enterprise / invisible end to end: solve service →
 * provider client → Sandbox, metered under their own type at their default prices, answered in each type's shape,
 * and billed on the invoice under their own label. The proxy's login never reaches the Sandbox's record, the ledger
 * or the invoice.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { CaptchaRequest } from '@shared/captcha'
import { localMonthOf } from '../../../electron/engine/time/zoned'
import { openBilling } from '../../../electron/engine/billing'
import { engineFixture } from '../../support/engine-fixture'
import { makePng } from '../../support/images'

type Fixture = Awaited<ReturnType<typeof engineFixture>>
let fx: Fixture | undefined
afterEach(async () => {
  await fx?.close()
  fx = undefined
})

const SECRET = 'pr0xyPassw0rd'
const page = 'https://shop.example/login'
const tile = makePng().toString('base64')

describe('new captcha types end to end', () => {
  it('solves each through the Sandbox in its own answer shape, metered and invoiced under its own type', async () => {
    fx = await engineFixture({ speed: 1_000 })
    const t = fx.addTenant()
    const requests: CaptchaRequest[] = [
      { type: 'geetest_v4', captchaId: 'e392e1d7fd421dc63325744d5a2b9c73', pageurl: page },
      {
        type: 'cloudflare_challenge',
        pageurl: page,
        proxy: `agent:${SECRET}@10.0.0.7:3128`,
        proxytype: 'HTTP',
        userAgent: 'Mozilla/5.0 CaptchaDesk-test',
      },
      { type: 'bls', instructions: '417', images: [tile, tile, tile, tile] },
      {
        type: 'recaptcha_v2',
        googlekey: '6Le-wvkSAAAAAPBMRTvw0Q4Muexq9bi0DJwx_mJ-',
        pageurl: page,
        enterprise: true,
        invisible: true,
        dataS: 'enterprise-s-value',
      },
    ]
    const answers: Record<string, string> = {}
    for (const request of requests) {
      const r = await fx.solver.solve(t.id, request, { source: 'console' })
      expect(r.status, `${request.type}: ${JSON.stringify(r)}`).toBe('solved')
      if (r.status !== 'solved') continue
      answers[request.type] = r.answer
      const task = fx.sandbox.task(r.taskId)!
      expect(task.type).toBe(request.type)
      expect(JSON.stringify(task.params)).not.toContain(SECRET)
    }
    expect(JSON.parse(answers.geetest_v4!)).toEqual({
      captcha_id: 'e392e1d7fd421dc63325744d5a2b9c73',
      lot_number: expect.stringMatching(/^[0-9a-f]{32}$/),
      pass_token: expect.stringMatching(/^[0-9a-f]{64}$/),
      gen_time: expect.stringMatching(/^\d+$/),
      captcha_output: expect.any(String),
    })
    expect(JSON.parse(answers.cloudflare_challenge!)).toEqual({
      cookies: { cf_clearance: expect.any(String) },
      userAgent: 'Mozilla/5.0 CaptchaDesk-test',
    })
    const picked = JSON.parse(answers.bls!) as number[]
    expect(picked.length).toBeGreaterThan(0)
    for (const i of picked) expect(i >= 1 && i <= 4).toBe(true)
    expect(answers.recaptcha_v2).toMatch(/^03A/)

    const cf = fx.sandbox.tasks({ type: 'cloudflare_challenge' })[0]!
    expect(cf.params).toMatchObject({ proxy: '10.0.0.7:3128', proxy_login: '1', proxytype: 'HTTP' })
    const v2 = fx.sandbox.tasks({ type: 'recaptcha_v2' })[0]!
    expect(v2.params).toMatchObject({ enterprise: '1', invisible: '1', 'data-s': 'enterprise-s-value' })

    const rows = fx.db
      .prepare(
        'SELECT captcha_type, status, price_micros FROM attempts WHERE tenant_id = ? ORDER BY captcha_type',
      )
      .all(t.id) as Array<{ captcha_type: string; status: string; price_micros: number }>
    expect(rows).toEqual([
      { captcha_type: 'bls', status: 'solved', price_micros: 1_500 },
      { captcha_type: 'cloudflare_challenge', status: 'solved', price_micros: 3_000 },
      { captcha_type: 'geetest_v4', status: 'solved', price_micros: 3_000 },
      { captcha_type: 'recaptcha_v2', status: 'solved', price_micros: 3_000 },
    ])
    const dump = JSON.stringify(fx.db.prepare('SELECT * FROM attempts').all())
    expect(dump).not.toContain(SECRET)

    const invoice = openBilling(fx.db, fx.ledger).invoice(
      fx.tenants.get(t.id)!,
      localMonthOf(Date.now(), t.timezone),
    )
    const labels = invoice.lines.map((l) => l.description).sort()
    expect(labels).toEqual(['BLS grid', 'Cloudflare challenge page', 'GeeTest v4', 'reCAPTCHA v2'])
    expect(JSON.stringify(invoice)).not.toContain(SECRET)
  })

  it('refuses a Cloudflare challenge without a proxy before anything is sent upstream', async () => {
    fx = await engineFixture({ speed: 1_000 })
    const t = fx.addTenant()
    const r = await fx.solver.solve(
      t.id,
      { type: 'cloudflare_challenge', pageurl: page } as unknown as CaptchaRequest,
      { source: 'console' },
    )
    expect(r).toMatchObject({ status: 'rejected', limit: 'invalid_request' })
    expect(fx.sandbox.stats().inPhp).toBe(0)
  })
})
