import { createServer, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { PROVIDER_PRESETS } from '@shared/provider'
import { createProviderClient, type ProviderClient } from '../../../electron/engine/provider'
import { createPingbackRoute, type PingbackRoute } from '../../../electron/engine/provider/pingback-receiver'
import { SANDBOX_DEMO_KEY, startSandbox, type Sandbox } from '../../../electron/engine/sandbox'
import type { GatewayServer } from '../../../electron/engine/gateway'
import { startGateway } from '../../../electron/engine/gateway/gateway-server'
import { gatewayFor } from '../../support/gateway-fixture'
import { engineFixture } from '../../support/engine-fixture'

const SPEED = 50
const turnstile = { type: 'turnstile', sitekey: 's', pageurl: 'https://example.com' } as const

let sb: Sandbox | undefined
let client: ProviderClient | undefined
let server: Server | undefined
afterEach(async () => {
  await client?.close()
  await sb?.close()
  await new Promise((r) => (server ? server.close(r) : r(undefined)))
  sb = client = server = undefined
})

/** A Sandbox, a client, and the pingback route on a loopback server standing in for the gateway's port. */
async function setup(publicUrl = (base: string) => base) {
  sb = await startSandbox({ speed: SPEED, seed: 5 })
  const c = createProviderClient({ profile: { ...PROVIDER_PRESETS.sandbox, baseUrl: sb.url }, speed: SPEED })
  client = c
  const delivered: string[] = []
  let base = ''
  const route: PingbackRoute = createPingbackRoute({
    publicUrl: () => publicUrl(base),
    accept: (id, code) => c.acceptPingback(id, code),
    onDelivery: (o) => delivered.push(o),
  })
  server = createServer((req, res) => {
    if (!route.handle(req, res)) res.writeHead(404).end()
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()))
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  return { sb, client: c, route, base, delivered }
}

describe('pingback in the product', () => {
  it('every solve is answered by the upstream’s callback: one request per solve, no polls', async () => {
    const { sb, client, route } = await setup()
    const url = route.callbackUrl()!
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/pingback\/[A-Za-z0-9_-]{24}$/)
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => client.solve(SANDBOX_DEMO_KEY, turnstile, { pingbackUrl: url })),
    )
    expect(outcomes.every((o) => o.status === 'solved')).toBe(true)
    for (const o of outcomes) if (o.status === 'solved') expect(o.answer).toBe(sb.task(o.taskId)!.answer)
    expect(sb.stats().inPhp).toBe(20)
    // Polling is only the late fallback (a callback delayed on a loaded machine may meet one).
    expect(sb.stats().resGet).toBeLessThanOrEqual(2)
  })

  it('accepts only ids this client submitted, only under its secret path; GET and POST forms', async () => {
    const { client, route, base, delivered } = await setup()
    const url = route.callbackUrl()!
    const secretPath = new URL(url).pathname
    // An id we never submitted: the same "OK", nothing settled.
    const r1 = await fetch(`${base}${secretPath}?id=999999&code=FAKE`)
    expect([r1.status, await r1.text()]).toEqual([200, 'OK'])
    // A wrong secret: not found, nothing delivered.
    const r2 = await fetch(`${base}/pingback/wrong-secret?id=1&code=x`)
    expect(r2.status).toBe(404)
    // No id: refused.
    expect((await fetch(`${base}${secretPath}?code=x`)).status).toBe(400)
    expect((await fetch(`${base}${secretPath}`, { method: 'DELETE' })).status).toBe(405)
    // A task of ours, settled by a POST form (2captcha's style) before the upstream would call.
    const submitted = await client.submit(SANDBOX_DEMO_KEY, turnstile, { timeoutMs: 60_000 })
    const waiting = client.waitForResult(SANDBOX_DEMO_KEY, {
      ...submitted,
      type: 'turnstile',
      pingback: true,
    })
    const r3 = await fetch(`${base}${secretPath}`, {
      method: 'POST',
      body: new URLSearchParams({ id: submitted.taskId, code: 'FROM-POST' }),
    })
    expect(r3.status).toBe(200)
    expect(await waiting).toMatchObject({ status: 'solved', answer: 'FROM-POST' })
    expect(delivered).toEqual(['ignored', 'refused', 'refused', 'settled'])
  })

  it('is off without a public callback URL: no URL sent, the route answers 404', async () => {
    const { route, base } = await setup(() => '')
    expect(route.callbackUrl()).toBeUndefined()
    const secret = createPingbackRoute({ publicUrl: () => '', accept: () => true }, 'x'.repeat(24))
    expect(secret.callbackUrl()).toBeUndefined()
    expect((await fetch(`${base}/pingback/${'x'.repeat(24)}?id=1&code=a`)).status).toBe(404)
  })

  it('the gateway serves the route on its own port beside in.php/res.php', async () => {
    const fx = await engineFixture({ speed: 500 })
    let gw: GatewayServer | undefined
    try {
      const route = createPingbackRoute(
        { publicUrl: () => 'https://desk.example.com', accept: () => false },
        's'.repeat(24),
      )
      const g = await gatewayFor(fx)
      await g.server.close()
      gw = await startGateway(g.core, { routes: (req, res) => route.handle(req, res) })
      expect(route.callbackUrl()).toBe(`https://desk.example.com/pingback/${'s'.repeat(24)}`)
      const r = await fetch(`${gw.url}/pingback/${'s'.repeat(24)}?id=12&code=abc`)
      expect([r.status, await r.text()]).toEqual([200, 'OK'])
      expect((await fetch(`${gw.url}/res.php?action=getbalance&key=nope&json=1`)).status).toBe(200)
    } finally {
      await gw?.close()
      await fx.close()
    }
  })
})
