/**
 * Hosts-file mode as the app wires it: the operator turns it on in the settings, the running gateway moves to HTTP +
 * HTTPS at once, the console's CA download is the certificate the HTTPS listener chains to, and a client machine that
 * trusts that CA and maps 2captcha.com to this machine (simulated by the agent's own lookup) solves with Host:
 * 2captcha.com. Also: the v1 details (header_acao, error_text, 414/431, text/plain JSON posts) on the gateway.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import https from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../../electron/engine/app/engine'
import { createGatewayController } from '../../../electron/engine/app/gateway-controller'
import { createHandlers } from '../../../electron/engine/app/handlers'
import { engineFixture } from '../../support/engine-fixture'
import { gatewayFor } from '../../support/gateway-fixture'
import { hostsFileLookup } from '../../support/hosts-file-client'
import { checkV1Gaps } from '../../support/v1-gaps'

const dirs: string[] = []
const engines: Engine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close(0).catch(() => undefined)
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** One HTTPS request as a client machine in hosts-file mode: the name resolves to 127.0.0.1, only `ca` is trusted. */
function viaHostsFile(
  host: string,
  port: number,
  path: string,
  ca: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host, port, path, method: 'GET', ca, lookup: hostsFileLookup, agent: false },
      (res) => {
        let body = ''
        res.on('data', (c) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

describe('hosts-file mode in the app', () => {
  it('a settings change moves the running gateway to HTTP + HTTPS with the local CA; clients solve with Host: 2captcha.com', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'captchadesk-hostsfile-'))
    dirs.push(dir)
    const engine = await createEngine({ dataDir: dir, sandboxSpeed: 1_000, weakKdfForTests: true })
    engines.push(engine)
    const gateway = createGatewayController(engine)
    const handlers = createHandlers({ engine, gateway, version: 'test', exportTarget: async () => null })
    await handlers['vault.create']({ passphrase: 'correct horse battery staple' })
    const t = engine.tenants.create({ name: 'Hosts Co' }, 'test')
    const { key } = engine.gatewayKeys.issue(t.id, 0)
    engine.settings.update({ gateway: { ...engine.settings.get().gateway, port: 0 } })
    await handlers['gateway.start']({})
    expect(gateway.status().httpsUrl).toBeNull()

    engine.settings.update({
      gateway: {
        ...engine.settings.get().gateway,
        hostsFileMode: true,
        httpsPort: 0,
        hostNames: ['captcha.platform.example'],
      },
    })
    let httpsUrl: string | null | undefined = null
    for (let i = 0; i < 200 && !httpsUrl; i++) {
      await new Promise((r) => setTimeout(r, 25))
      httpsUrl = gateway.status().httpsUrl
    }
    expect(httpsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const port = Number(new URL(httpsUrl!).port)
    const ca = (await handlers['gateway.caCertificate']({})) as { certPem: string; names: string[] }
    expect(ca.names).toEqual(
      expect.arrayContaining(['2captcha.com', 'api.capsolver.com', 'captcha.platform.example']),
    )
    expect(statSync(join(dir, 'tls', 'ca-key.pem')).mode & 0o777).toBe(0o600)

    const submit = await viaHostsFile(
      '2captcha.com',
      port,
      `/in.php?key=${key}&method=turnstile&sitekey=s&pageurl=https://e.com`,
      ca.certPem,
    )
    expect(submit.body).toMatch(/^OK\|\d+$/)
    const id = submit.body.slice(3)
    let answer = 'CAPCHA_NOT_READY'
    for (let i = 0; i < 400 && answer === 'CAPCHA_NOT_READY'; i++) {
      await new Promise((r) => setTimeout(r, 25))
      answer = (
        await viaHostsFile('2captcha.com', port, `/res.php?key=${key}&action=get&id=${id}`, ca.certPem)
      ).body
    }
    expect(answer).toMatch(/^OK\|0\./)
    // The JSON API answers on the same listener under another provider's name.
    const balance = await new Promise<string>((resolve, reject) => {
      const req = https.request(
        {
          host: 'api.anti-captcha.com',
          port,
          path: '/getBalance',
          method: 'POST',
          ca: ca.certPem,
          lookup: hostsFileLookup,
          agent: false,
        },
        (res) => {
          let b = ''
          res.on('data', (c) => (b += c))
          res.on('end', () => resolve(b))
        },
      )
      req.on('error', reject)
      req.end(JSON.stringify({ clientKey: key }))
    })
    expect(JSON.parse(balance)).toMatchObject({ errorId: 0, balance: expect.any(Number) })
    // A client that does not trust the CaptchaDesk CA refuses the connection; so does a name the certificate lacks.
    await expect(
      viaHostsFile('2captcha.com', port, '/res.php', undefined as unknown as string),
    ).rejects.toThrow()
    await expect(
      new Promise((resolve, reject) => {
        const req = https.request(
          { host: '127.0.0.1', servername: 'example.org', port, path: '/', ca: ca.certPem, agent: false },
          resolve,
        )
        req.on('error', reject)
        req.end()
      }),
    ).rejects.toThrow(/example\.org|altname/i)

    // Turning it off closes the HTTPS listener.
    engine.settings.update({ gateway: { ...engine.settings.get().gateway, hostsFileMode: false } })
    for (let i = 0; i < 200 && gateway.status().httpsUrl; i++) await new Promise((r) => setTimeout(r, 25))
    expect(gateway.status()).toMatchObject({ running: true, httpsUrl: null })
    await gateway.stop()
  }, 60_000)
})

describe('gateway: the 2captcha v1 details outside clients rely on', () => {
  it('honours header_acao, error_text, plain text without json=1, 414/431, JSON sent as text/plain', async () => {
    const fx = await engineFixture({ speed: 1_000 })
    const g = await gatewayFor(fx)
    try {
      const { key } = g.keys.issue(fx.addTenant().id)
      await checkV1Gaps(g.url, key)
    } finally {
      await g.server.close()
      await fx.close()
    }
  })
})
