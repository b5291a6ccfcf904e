/**
 * An upstream that echoes what it received (the platform key) in its error text: the key must never reach a
 * tenant's reply, the ledger, a solve result or anything stored. Only known codes pass; the rest become
 * ERROR_UNKNOWN_UPSTREAM.
 */
import { createServer, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { SANDBOX_DEMO_KEY } from '../../../electron/engine/sandbox'
import { engineFixture } from '../../support/engine-fixture'
import { gatewayFor } from '../../support/gateway-fixture'

type Mode = 'in-echo' | 'res-echo' | 'batch-echo' | 'unknown-echo'

function hostileUpstream(mode: Mode): Promise<{ url: string; server: Server }> {
  let next = 900_000_000_001
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      const p = new URLSearchParams(body)
      const key = p.get('key') ?? ''
      const reply = (status: 0 | 1, request: string) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status, request }))
      if (req.url?.startsWith('/in.php')) {
        if (mode === 'in-echo') return reply(0, `ERROR_BAD_PARAMETERS ${key}`)
        return reply(1, String(next++))
      }
      if (p.get('ids')) {
        const n = (p.get('ids') ?? '').split(',').length
        return reply(1, Array.from({ length: n }, () => `ERROR_CAPTCHA_UNSOLVABLE key=${key}`).join('|'))
      }
      if (mode === 'unknown-echo') return reply(0, `I_DO_NOT_KNOW_YOU ${key}`)
      return reply(0, `ERROR_WRONG_CAPTCHA_ID: you sent ${key}`)
    })
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server }),
    ),
  )
}

let cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanup.reverse()) await c()
  cleanup = []
})

describe('an upstream that echoes the platform key', () => {
  for (const mode of ['in-echo', 'res-echo', 'batch-echo', 'unknown-echo'] as Mode[]) {
    it(`${mode}: the key reaches no reply, no ledger row, no result`, async () => {
      const up = await hostileUpstream(mode)
      const fx = await engineFixture({ upstreamUrl: up.url, speed: 2_000 })
      const g = await gatewayFor(fx)
      cleanup.push(async () => {
        await g.server.close()
        await fx.close()
        up.server.close()
      })
      const t = fx.addTenant()
      const key = g.keys.issue(t.id).key
      const replies: string[] = []
      const post = async (path: string, p: Record<string, string>) => {
        const text = await (
          await fetch(`${g.url}${path}`, { method: 'POST', body: new URLSearchParams(p) })
        ).text()
        replies.push(text)
        return text
      }
      const submitted = await post('/in.php', {
        key,
        method: 'turnstile',
        sitekey: 's',
        pageurl: 'https://example.com',
        json: '1',
      })
      if (mode !== 'in-echo') {
        const id = String(JSON.parse(submitted).request)
        for (let i = 0; i < 200; i++) {
          const r = JSON.parse(await post('/res.php', { key, action: 'get', id, json: '1' }))
          if (r.request !== 'CAPCHA_NOT_READY') break
          await new Promise((res) => setTimeout(res, 20))
        }
      }
      // Several at once, so the poller asks in one ids= batch (where pieces may be echoed text too).
      const direct = await Promise.all(
        Array.from({ length: 6 }, () =>
          fx.solver.solve(
            t.id,
            { type: 'turnstile', sitekey: 's', pageurl: 'https://example.com' },
            { source: 'console' },
          ),
        ),
      )
      const stored = JSON.stringify(fx.db.prepare('SELECT * FROM attempts').all())
      const tasks = JSON.stringify(fx.db.prepare('SELECT * FROM gateway_tasks').all())
      for (const text of [...replies, JSON.stringify(direct), stored, tasks]) {
        expect(text).not.toContain(SANDBOX_DEMO_KEY)
        expect(text).not.toContain('you sent')
        expect(text).not.toContain('I_DO_NOT_KNOW_YOU')
      }
      const codes = (
        fx.db.prepare('SELECT error_code FROM attempts').all() as Array<{ error_code: string }>
      ).map((r) => r.error_code)
      for (const c of codes) expect(c).toMatch(/^(ERROR_[A-Z_]+|[A-Z_]+)$/)
      if (mode === 'in-echo') expect(codes).toContain('ERROR_BAD_PARAMETERS')
      if (mode === 'batch-echo') expect(codes).toContain('ERROR_CAPTCHA_UNSOLVABLE')
    }, 60_000)
  }
})
