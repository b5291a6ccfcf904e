/**
 * Console figures in Debian's Chromium: time from spawning `npm run serve` (engine + Sandbox + host) to the console
 * being interactive, beside Chromium loading a plain static page in the same run; and rendering the tenant list
 * with 1,000 tenants beside 10 tenants, plus one search keystroke.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { launchChromium } from '../e2e/browser'
import { runHost } from '../../electron/engine/host/run-host'

const root = join(import.meta.dirname, '../..')

async function serveToInteractive(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-serve-'))
  const browser = await launchChromium()
  const t0 = performance.now()
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'electron/cli/serve.ts'), '--data-dir', dir, '--no-build'],
    { cwd: root },
  )
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /Open: (\S+)/.exec(out)
        if (m) resolve(m[1]!)
      })
      child.on('exit', (c) => reject(new Error(`serve exited ${c}`)))
    })
    const page = await browser.newPage()
    await page.goto(url)
    await page.getByRole('button', { name: 'Create vault and start' }).waitFor()
    return performance.now() - t0
  } finally {
    child.kill('SIGTERM')
    await browser.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function staticBaseline(): Promise<number> {
  const server = createServer((_req, res) => res.end('<!doctype html><button>ready</button>'))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const browser = await launchChromium()
  const t0 = performance.now()
  const page = await browser.newPage()
  await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`)
  await page.getByRole('button', { name: 'ready' }).waitFor()
  const ms = performance.now() - t0
  await browser.close()
  server.close()
  return ms
}

async function renderTenants(count: number): Promise<{ renderMs: number; searchMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-tenants-'))
  const running = await runHost({
    dataDir: dir,
    rendererDir: join(root, 'out/renderer'),
    weakKdfForTests: true,
  })
  const browser = await launchChromium()
  try {
    await running.engine.vault.create('benchmark passphrase')
    for (let i = 0; i < count; i++)
      running.engine.tenants.create({ name: `Tenant ${String(i).padStart(4, '0')}` }, 'bench')
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    await page.goto(running.host.url)
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor()
    const t0 = performance.now()
    await page.getByRole('link', { name: 'Tenants' }).click()
    await page.getByText(`${count} tenant${count === 1 ? '' : 's'}`).waitFor()
    const renderMs = performance.now() - t0
    const t1 = performance.now()
    await page.getByLabel('Search tenants').fill('Tenant 0007')
    await page.getByText('1 tenant', { exact: true }).waitFor()
    return { renderMs, searchMs: performance.now() - t1 }
  } finally {
    await browser.close()
    await running.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function run(): Promise<void> {
  const base = await staticBaseline()
  const serve = await serveToInteractive()
  console.table([
    { measure: 'baseline: Chromium loads a static page', ms: base.toFixed(0) },
    { measure: '`npm run serve` start → console interactive', ms: serve.toFixed(0) },
  ])
  const small = await renderTenants(10)
  const big = await renderTenants(1_000)
  console.table([
    {
      tenants: 10,
      'open tenant list ms': small.renderMs.toFixed(0),
      'search keystroke ms': small.searchMs.toFixed(0),
    },
    {
      tenants: 1_000,
      'open tenant list ms': big.renderMs.toFixed(0),
      'search keystroke ms': big.searchMs.toFixed(0),
    },
  ])
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
