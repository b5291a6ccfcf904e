/**
 * The JSON task API on the gateway (plain HTTP, base URL pointed at the gateway): the same task store as res.php,
 * reports, balance, callbackUrl, limits in the API's own codes; and a fuzz test like in.php/res.php's — any body to any
 * method gets a JSON reply with the API's own error codes, never a crash, and changes nothing (no attempt, no task).
 */
import { createServer } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { JSON_API_METHODS } from '../../../electron/engine/gateway/json-api/json-api'
import { engineFixture } from '../../support/engine-fixture'
import { gatewayFor } from '../../support/gateway-fixture'
import { makePng } from '../../support/images'

type Fx = Awaited<ReturnType<typeof engineFixture>>
let fx: Fx | undefined
let close: (() => Promise<void>) | undefined
afterEach(async () => {
  await close?.()
  await fx?.close()
  close = undefined
  fx = undefined
})

async function setup() {
  fx = await engineFixture({ speed: 500 })
  const g = await gatewayFor(fx)
  close = () => g.server.close()
  const call = async (method: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${g.url}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
    expect(res.headers.get('content-type')).toMatch(/application\/json/)
    return (await res.json()) as Record<string, unknown>
  }
  return { fx, g, call }
}

const site = {
  websiteURL: 'https://shop.example/login',
  websiteKey: '6Le-wvkSAAAAAPBMRTvw0Q4Muexq9bi0DJwx_mJ-',
}

async function waitReady(
  call: (m: string, b: unknown) => Promise<Record<string, unknown>>,
  clientKey: string,
  taskId: unknown,
) {
  for (let i = 0; i < 400; i++) {
    const r = await call('getTaskResult', { clientKey, taskId })
    if (r.status !== 'processing') return r
    await new Promise((res) => setTimeout(res, 25))
  }
  throw new Error('not ready in time')
}

describe('JSON task API', () => {
  it('creates, reads (here and through res.php), reports and bills like in.php/res.php', async () => {
    const { fx, g, call } = await setup()
    const t = fx.addTenant({ name: 'Json Co' })
    const { key } = g.keys.issue(t.id)
    const created = await call('createTask', {
      clientKey: key,
      task: { type: 'RecaptchaV2TaskProxyless', ...site },
      softId: 0,
    })
    expect(created).toEqual({ errorId: 0, taskId: expect.any(Number) })
    const done = await waitReady(call, key, created.taskId)
    expect(done).toEqual({
      errorId: 0,
      status: 'ready',
      solution: { gRecaptchaResponse: expect.stringMatching(/^03A/), token: expect.any(String) },
      cost: '0.003000',
      ip: expect.any(String),
      createTime: expect.any(Number),
      endTime: expect.any(Number),
      solveCount: 1,
    })
    expect(done.endTime as number).toBeGreaterThanOrEqual(done.createTime as number)
    // The same task store as the v1 surface: res.php reads the task created here.
    const v1 = await (
      await fetch(`${g.url}/res.php?key=${key}&action=get&id=${created.taskId}&json=1`)
    ).json()
    expect(v1).toEqual({
      status: 1,
      request: (done.solution as { gRecaptchaResponse: string }).gRecaptchaResponse,
    })
    expect(await call('reportIncorrectRecaptcha', { clientKey: key, taskId: created.taskId })).toEqual({
      errorId: 0,
      status: 'success',
    })
    expect(await call('reportCorrect', { clientKey: key, taskId: created.taskId })).toMatchObject({
      errorId: 40,
      errorCode: 'ERROR_REPORT_NOT_RECORDED',
    })
    expect(fx.sandbox.tasks().flatMap((x) => x.reports)).toEqual(['bad'])
    const balance = await call('getBalance', { clientKey: key })
    expect(balance).toEqual({ errorId: 0, balance: expect.any(Number) })
    const row = fx.db
      .prepare('SELECT source, status, price_micros FROM attempts WHERE tenant_id = ?')
      .get(t.id)
    expect(row).toEqual({ source: 'gateway', status: 'solved', price_micros: 3_000 })
    // Another tenant cannot read it.
    const other = g.keys.issue(fx.addTenant({ name: 'Other' }).id).key
    expect(await call('getTaskResult', { clientKey: other, taskId: created.taskId })).toMatchObject({
      errorCode: 'ERROR_NO_SUCH_CAPCHA_ID',
    })
  })

  it('POSTs the result to callbackUrl when the task ends', async () => {
    const { fx, g, call } = await setup()
    const { key } = g.keys.issue(fx.addTenant().id)
    const received: unknown[] = []
    const listener = createServer((req, res) => {
      let b = ''
      req.on('data', (c) => (b += c))
      req.on('end', () => {
        received.push(JSON.parse(b))
        res.end('ok')
      })
    })
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r))
    try {
      const port = (listener.address() as { port: number }).port
      const created = await call('createTask', {
        clientKey: key,
        task: { type: 'ImageToTextTask', body: makePng().toString('base64') },
        callbackUrl: `http://127.0.0.1:${port}/cb`,
      })
      expect(created.errorId).toBe(0)
      for (let i = 0; i < 400 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 25))
      expect(received).toEqual([
        expect.objectContaining({
          errorId: 0,
          status: 'ready',
          taskId: created.taskId,
          solution: { text: expect.any(String) },
        }),
      ])
      expect(
        await call('createTask', {
          clientKey: key,
          task: { type: 'ImageToTextTask', body: makePng().toString('base64') },
          callbackUrl: 'ftp://x',
        }),
      ).toMatchObject({ errorCode: 'ERROR_INCORRECT_SESSION_DATA' })
    } finally {
      listener.close()
    }
  })

  it('answers limits, bad keys and bans in the API’s own codes', async () => {
    const { fx, g, call } = await setup()
    const t = fx.addTenant({ limits: { requestsPerMinute: 1 } })
    const { key } = g.keys.issue(t.id)
    const task = { type: 'TurnstileTaskProxyless', ...site }
    expect((await call('createTask', { clientKey: key, task })).errorId).toBe(0)
    expect(await call('createTask', { clientKey: key, task })).toMatchObject({
      errorId: 2,
      errorCode: 'ERROR_NO_SLOT_AVAILABLE',
    })
    const d = fx.addTenant({ limits: { solvesPerDay: 1 } })
    const dk = g.keys.issue(d.id).key
    const first = await call('createTask', { clientKey: dk, task })
    await waitReady(call, dk, first.taskId)
    expect(await call('createTask', { clientKey: dk, task })).toMatchObject({
      errorId: 10,
      errorCode: 'ERROR_ZERO_BALANCE',
    })
    expect(await call('getBalance', { clientKey: 'x'.repeat(32) })).toMatchObject({
      errorId: 1,
      errorCode: 'ERROR_KEY_DOES_NOT_EXIST',
    })
    expect(await call('getBalance', {})).toMatchObject({ errorCode: 'ERROR_KEY_DOES_NOT_EXIST' })
  })

  it('fuzz: any body to any method gets the API’s own reply, never a crash, never a state change', async () => {
    const { fx, g, call } = await setup()
    const { key } = g.keys.issue(fx.addTenant().id)
    const count = () => ({
      attempts: fx.db.prepare('SELECT COUNT(*) AS n FROM attempts').get(),
      tasks: fx.db.prepare('SELECT COUNT(*) AS n FROM gateway_tasks').get(),
    })
    const before = count()
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(key),
      fc.constant('https://shop.example/x'),
      fc.constant('RecaptchaV2TaskProxyless'),
      fc.constant('AntiCloudflareTask'),
      fc.constant('ImageToTextTask'),
      fc.dictionary(fc.string(), fc.string()),
      fc.array(fc.integer()),
    )
    const taskObj = fc.dictionary(
      fc.constantFrom(
        'type',
        'websiteURL',
        'websiteKey',
        'body',
        'proxy',
        'proxyType',
        'proxyAddress',
        'proxyPort',
        'minScore',
        'gt',
        'challenge',
        'version',
        'captchaId',
        '__proto__',
        'constructor',
      ),
      value,
    )
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...JSON_API_METHODS, 'unknownMethod'),
        fc.oneof(
          fc.dictionary(
            fc.constantFrom('clientKey', 'task', 'taskId', 'softId', 'callbackUrl', 'result', '__proto__'),
            fc.oneof(value, taskObj),
          ),
          fc.string(),
          fc.constant('{"clientKey":'),
          fc.constant('[]'),
        ),
        async (method, body) => {
          // Never reach a real solve: a task with a valid URL and key could be created; keep websiteURL invalid.
          if (
            body &&
            typeof body === 'object' &&
            'task' in body &&
            body.task &&
            typeof body.task === 'object'
          ) {
            const task = body.task as Record<string, unknown>
            task.websiteURL = 'not a url'
            delete task.body
          }
          const res = await fetch(`${g.url}/${method}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: typeof body === 'string' ? body : JSON.stringify(body),
          })
          const text = await res.text()
          if (method === 'unknownMethod') {
            expect(res.status).toBe(404)
            return
          }
          const reply = JSON.parse(text) as { errorId: number; errorCode?: string }
          expect(typeof reply.errorId).toBe('number')
          if (reply.errorId !== 0) expect(reply.errorCode).toMatch(/^ERROR_[A-Z_]+$/)
          expect(text).not.toMatch(/at .*\.ts:\d+/)
        },
      ),
      { numRuns: 300 },
    )
    expect(count()).toEqual(before)
    // Wrong HTTP method and a body over 1 MB: still the API's JSON.
    expect((await fetch(`${g.url}/getBalance`)).status).toBe(405)
    const big = await fetch(`${g.url}/createTask`, { method: 'POST', body: 'x'.repeat(1_200_000) })
    expect(big.status).toBe(413)
    expect(await big.json()).toMatchObject({ errorId: expect.any(Number) })
    void call
  }, 120_000)
})
