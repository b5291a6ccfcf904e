/**
 * Gateway added latency and throughput on loopback: in.php submissions at a fixed rate straight to the Sandbox, then
 * the same load through the gateway (gateway key → admission → durable ledger row → upstream in.php), in one run.
 * Goal: p50 < 1 ms, p99 < 5 ms added at 1,000 requests/s.
 */
import { Agent, request } from 'node:http'
import { createGatewayKeys, startGateway } from '../../electron/engine/gateway'
import { SANDBOX_DEMO_KEY } from '../../electron/engine/sandbox'
import { engineFixture } from '../support/engine-fixture'

const RATE = 1_000
const SECONDS = 4

function post(agent: Agent, url: string, body: string): Promise<number> {
  const u = new URL(url)
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume()
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(performance.now() - t0)
            : reject(new Error(`HTTP ${res.statusCode}`)),
        )
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

async function load(
  url: string,
  key: string,
): Promise<{ p50: number; p99: number; rps: number; errors: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1024 })
  const body = new URLSearchParams({
    key,
    method: 'turnstile',
    sitekey: 's',
    pageurl: 'https://example.com',
    json: '1',
  }).toString()
  const lat: number[] = []
  let errors = 0
  const total = RATE * SECONDS
  const start = performance.now()
  const pending: Promise<void>[] = []
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE
    const wait = due - performance.now()
    if (wait > 1) await new Promise((r) => setTimeout(r, wait))
    pending.push(
      post(agent, `${url}/in.php`, body).then(
        (ms) => void lat.push(ms),
        () => void errors++,
      ),
    )
  }
  await Promise.all(pending)
  const secs = (performance.now() - start) / 1000
  agent.destroy()
  lat.sort((a, b) => a - b)
  return {
    p50: lat[Math.floor(lat.length * 0.5)] ?? NaN,
    p99: lat[Math.floor(lat.length * 0.99)] ?? NaN,
    rps: lat.length / secs,
    errors,
  }
}

export async function run(): Promise<void> {
  const fx = await engineFixture({
    speed: 10_000,
    sandbox: { keys: [{ key: SANDBOX_DEMO_KEY, threads: 100_000 }] },
  })
  const keys = createGatewayKeys(fx.db)
  const gw = await startGateway({ keys, solver: fx.solver, tenants: fx.tenants, allowance: () => 0 })
  try {
    const t = fx.addTenant({ name: 'Bench' })
    const key = keys.issue(t.id).key
    await load(fx.sandbox.url, SANDBOX_DEMO_KEY) // warm-up
    const direct = await load(fx.sandbox.url, SANDBOX_DEMO_KEY)
    const via = await load(gw.url, key)
    console.table([
      {
        path: 'straight to the Sandbox',
        'p50 ms': direct.p50.toFixed(2),
        'p99 ms': direct.p99.toFixed(2),
        'req/s': direct.rps.toFixed(0),
        errors: direct.errors,
      },
      {
        path: 'through the gateway',
        'p50 ms': via.p50.toFixed(2),
        'p99 ms': via.p99.toFixed(2),
        'req/s': via.rps.toFixed(0),
        errors: via.errors,
      },
      {
        path: 'added by the gateway',
        'p50 ms': (via.p50 - direct.p50).toFixed(2),
        'p99 ms': (via.p99 - direct.p99).toFixed(2),
        'req/s': '',
        errors: '',
      },
    ])
    console.log(`Offered load ${RATE} in.php/s for ${SECONDS} s each. Goal: added p50 < 1 ms, p99 < 5 ms.`)
  } finally {
    await gw.close()
    await fx.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
