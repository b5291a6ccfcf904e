/**
 * Gateway added latency and throughput on loopback: in.php submissions at a fixed rate straight to the Sandbox, then
 * the same load through the gateway (gateway key → admission → durable ledger row → upstream in.php), in one run.
 * Goal: p50 < 1 ms, p99 < 5 ms added at 1,000 requests/s. Measured at 200/s as well.
 */
import { execFile, spawn } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gatewayFor } from '../support/gateway-fixture'
import { SANDBOX_DEMO_KEY } from '../../electron/engine/sandbox'
import { engineFixture } from '../support/engine-fixture'

const run_ = promisify(execFile)
const RATES = [200, 1_000]
const SECONDS = 4

/** The load comes from a separate process, so the generator does not compete with the server's event loop. */
async function load(
  url: string,
  key: string,
  rate: number,
): Promise<{ p50: number; p99: number; rps: number; errors: number }> {
  const { stdout } = await run_(process.execPath, [
    '--import',
    'tsx',
    join(import.meta.dirname, 'gateway-load-child.ts'),
    url,
    key,
    String(rate),
    String(SECONDS),
  ])
  return JSON.parse(stdout.trim().split('\n').pop()!) as {
    p50: number
    p99: number
    rps: number
    errors: number
  }
}

/** The Sandbox in a process of its own too, so the gateway process runs only the gateway and the engine. */
async function externalSandbox(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, [
    '--import',
    'tsx',
    join(import.meta.dirname, '../../electron/cli/sandbox.ts'),
    '--port',
    '0',
    '--speed',
    '10000',
    '--threads',
    '100000',
  ])
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m) resolve(m[1]!)
    })
    child.on('exit', (c) => reject(new Error(`sandbox exited ${c}`)))
  })
  return { url, stop: () => child.kill('SIGTERM') }
}

export async function run(): Promise<void> {
  const upstream = await externalSandbox()
  const fx = await engineFixture({
    upstreamUrl: upstream.url,
    speed: 10_000,
    sandbox: { keys: [{ key: SANDBOX_DEMO_KEY, threads: 100_000 }] },
  })
  const { keys, server: gw } = await gatewayFor(fx)
  try {
    const t = fx.addTenant({ name: 'Bench' })
    const key = keys.issue(t.id).key
    await load(upstream.url, SANDBOX_DEMO_KEY, 200) // warm-up
    const rows = []
    for (const rate of RATES) {
      const direct = await load(upstream.url, SANDBOX_DEMO_KEY, rate)
      const via = await load(gw.url, key, rate)
      rows.push(
        {
          'offered /s': rate,
          path: 'straight to the Sandbox',
          'p50 ms': direct.p50.toFixed(2),
          'p99 ms': direct.p99.toFixed(2),
          'served /s': direct.rps.toFixed(0),
          errors: direct.errors,
        },
        {
          'offered /s': rate,
          path: 'through the gateway',
          'p50 ms': via.p50.toFixed(2),
          'p99 ms': via.p99.toFixed(2),
          'served /s': via.rps.toFixed(0),
          errors: via.errors,
        },
        {
          'offered /s': rate,
          path: 'added by the gateway',
          'p50 ms': (via.p50 - direct.p50).toFixed(2),
          'p99 ms': (via.p99 - direct.p99).toFixed(2),
          'served /s': '',
          errors: '',
        },
      )
    }
    console.table(rows)
    console.log(
      `Each load runs ${SECONDS} s from a separate process. Goal: added p50 < 1 ms, p99 < 5 ms at 1,000 requests/s.`,
    )
  } finally {
    await gw.close()
    await fx.close()
    upstream.stop()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
