/**
 * Console figures in Debian's Chromium (headless, the e2e flags).
 *
 * 1. Start to interactive: `npm run serve`'s host is SPAWNED as a child process (Node 24 running the built
 *    out/main/serve.js: engine, embedded Sandbox, host), and timed from spawn until the first meaningful control
 *    ("Create vault and start") is enabled. The build itself (which `npm run serve` runs first) is not timed.
 *    Baseline in the same run: Chromium loading a static one-button page from a bare 127.0.0.1 server; and the
 *    console page alone once the host is already up (navigation → enabled control).
 * 2. The tenant list: the host runs IN-PROCESS with 10 and with 1,000 tenants; measured inside the page (performance.now
 *    around the click / keystroke until the rows are in the DOM and a frame has been painted): opening the list, and
 *    one search keystroke. Baseline in the same page: a naive, non-paged 1,000-row table written as plain HTML.
 * Medians of several runs. Builds the app first, as `npm run serve` does.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { launchChromium } from '../e2e/browser'
import { runHost } from '../../electron/engine/host/run-host'
import { buildApp, BUILT_HOST } from '../support/built-app'
import { median, standaloneContext, type BenchContext } from './bench-kit'

const root = join(import.meta.dirname, '../..')
let RUNS = 5

const ms = (n: number): string => n.toFixed(n < 10 ? 1 : 0)

/**
 * Resolves when the named button exists and is enabled. A loop inside page.evaluate, checked every frame: the
 * console's CSP (no 'unsafe-eval') refuses page.waitForFunction, which evals its predicate in the page; an
 * evaluate runs through the DevTools protocol, which the CSP does not govern. Bounded to 60 s.
 */
async function whenEnabled(page: Page, label: string): Promise<void> {
  const ok = await page.evaluate<boolean>(`(async () => {
    const until = performance.now() + 60000
    while (performance.now() < until) {
      if ([...document.querySelectorAll('button')].some((b) => b.textContent === ${JSON.stringify(label)} && !b.disabled))
        return true
      await new Promise((r) => requestAnimationFrame(r))
    }
    return false
  })()`)
  if (!ok) throw new Error(`"${label}" was not enabled within 60 s`)
}

/** Browser-side code is passed as strings: the repo's tsconfig has no DOM types, and tsx would add __name. */
const FRAME = 'new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)))'
const openListScript = (want: string) => `(async () => {
  const t0 = performance.now()
  document.querySelector('a[href="#/tenants"]').click()
  for (;;) {
    const c = document.querySelector('[data-testid="tenant-count"]')
    if (c && c.textContent === ${JSON.stringify(want)} &&
        document.querySelectorAll('[data-testid="tenant-table"] tbody tr').length > 1) break
    await new Promise((r) => requestAnimationFrame(r))
  }
  await ${FRAME}
  return performance.now() - t0
})()`
const KEYSTROKE = `(async () => {
  const input = document.querySelector('#tenant-search')
  const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set
  const type = (v) => {
    setValue.call(input, v)
    input.dispatchEvent(new Event('input', { bubbles: true }))
  }
  type('Tenant 000')
  await new Promise((r) => setTimeout(r, 50))
  const count = () => document.querySelector('[data-testid="tenant-count"]').textContent
  const before = count()
  const t0 = performance.now()
  type('Tenant 0007')
  for (;;) {
    if (count() !== before && document.querySelectorAll('[data-testid="tenant-table"] tbody tr').length === 1) break
    await new Promise((r) => requestAnimationFrame(r))
  }
  await ${FRAME}
  const took = performance.now() - t0
  type('')
  return took
})()`
const naiveTableScript = (n: number) => `(async () => {
  const host = document.createElement('div')
  document.body.append(host)
  const t0 = performance.now()
  const rows = []
  for (let i = 0; i < ${n}; i++)
    rows.push('<tr><th>Tenant ' + i + '<div>t_' + i + '</div></th><td>active</td><td>shared platform key</td>' +
      '<td>no limits</td><td>price per solve</td><td>UTC</td>' +
      '<td><a>Edit</a> <button>Suspend</button> <button>Delete</button></td></tr>')
  host.innerHTML = '<table class="grid"><tbody>' + rows.join('') + '</tbody></table>'
  host.getBoundingClientRect()
  await ${FRAME}
  const took = performance.now() - t0
  host.remove()
  return took
})()`

async function serveToInteractive(browser: Browser): Promise<{ total: number; page: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-serve-'))
  const t0 = performance.now()
  const child = spawn(process.execPath, [BUILT_HOST, '--data-dir', dir], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /Open: (\S+)/.exec(out)
        if (m) resolve(m[1]!)
      })
      child.on('exit', (c) => reject(new Error(`serve exited with ${c} before printing its URL`)))
    })
    const context = await browser.newContext()
    const page = await context.newPage()
    const t1 = performance.now()
    await page.goto(url)
    await whenEnabled(page, 'Create vault and start')
    const t2 = performance.now()
    await context.close()
    return { total: t2 - t0, page: t2 - t1 }
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
    rmSync(dir, { recursive: true, force: true })
  }
}

async function staticBaseline(browser: Browser): Promise<number> {
  const server = createServer((_req, res) => res.end('<!doctype html><button>ready</button>'))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  try {
    const context = await browser.newContext()
    const page = await context.newPage()
    const t0 = performance.now()
    await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`)
    await whenEnabled(page, 'ready')
    const took = performance.now() - t0
    await context.close()
    return took
  } finally {
    server.close()
  }
}

interface ListFigures {
  open: number
  keystroke: number
  naiveTable: number
}

/** In-page timings: from the click/keystroke to rows in the DOM plus one painted frame. */
async function listFigures(browser: Browser, count: number): Promise<ListFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-tenants-'))
  const running = await runHost({
    dataDir: dir,
    rendererDir: join(root, 'out/renderer'),
    weakKdfForTests: true,
  })
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  try {
    await running.engine.vault.create('benchmark passphrase')
    for (let i = 0; i < count; i++)
      running.engine.tenants.create({ name: `Tenant ${String(i).padStart(4, '0')}` }, 'bench')
    const page = await context.newPage()
    await page.goto(running.host.url)
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor()
    const opens: number[] = []
    const keys: number[] = []
    const naive: number[] = []
    const expected = `${count.toLocaleString('en-US')} tenant${count === 1 ? '' : 's'}`
    for (let run = 0; run < RUNS; run++) {
      await page.evaluate(`window.location.hash = '#/dashboard'`)
      await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor()
      opens.push(await page.evaluate<number>(openListScript(expected)))
      // One keystroke that narrows the list ("Tenant 000" → "Tenant 0007": 10 rows → 1), typed as an input event.
      keys.push(await page.evaluate<number>(KEYSTROKE))
      // Naive baseline: every tenant as a plain HTML table row at once (what a non-paged list costs the DOM).
      naive.push(await page.evaluate<number>(naiveTableScript(count)))
    }
    return { open: median(opens), keystroke: median(keys), naiveTable: median(naive) }
  } finally {
    await context.close()
    await running.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function run(ctx: BenchContext): Promise<void> {
  buildApp() // the host starts as `npm run serve` starts it: built, under plain Node
  if (ctx.quick) RUNS = 2
  const starts = ctx.quick ? 1 : 3
  const big = ctx.quick ? 100 : 1_000
  const browser = await launchChromium()
  try {
    const base: number[] = []
    const serve: Array<{ total: number; page: number }> = []
    for (let i = 0; i < starts; i++) {
      base.push(await staticBaseline(browser))
      serve.push(await serveToInteractive(browser))
    }
    ctx.record('baseline: Chromium loads a static 1-button page', median(base), 'ms')
    ctx.record(
      'console page only: navigation → first control enabled',
      median(serve.map((s) => s.page)),
      'ms',
    )
    ctx.record('spawn serve CLI → console interactive', median(serve.map((s) => s.total)), 'ms')
    console.log(`\nConsole start (median of ${starts}; serve CLI spawned as a child process)`)
    console.table([
      { measure: 'baseline: Chromium loads a static 1-button page', ms: ms(median(base)) },
      {
        measure: 'console page only: navigation → "Create vault" enabled',
        ms: ms(median(serve.map((s) => s.page))),
      },
      {
        measure: 'spawn `npm run serve` CLI → console interactive',
        ms: ms(median(serve.map((s) => s.total))),
      },
    ])
    const small = await listFigures(browser, 10)
    const large = await listFigures(browser, big)
    for (const [n, f] of [
      [10, small],
      [big, large],
    ] as const) {
      ctx.record(`open tenant list, ${n} tenants`, f.open, 'ms')
      ctx.record(`search keystroke, ${n} tenants`, f.keystroke, 'ms')
      ctx.record(`baseline: naive plain-HTML table, ${n} rows`, f.naiveTable, 'ms')
    }
    console.log(`Tenant list (host in-process; in-page timings, median of ${RUNS}; list pages 50 rows)`)
    console.table([
      {
        tenants: 10,
        'open list ms': ms(small.open),
        'search keystroke ms': ms(small.keystroke),
        'baseline: naive plain-HTML table of all rows ms': ms(small.naiveTable),
      },
      {
        tenants: big,
        'open list ms': ms(large.open),
        'search keystroke ms': ms(large.keystroke),
        'baseline: naive plain-HTML table of all rows ms': ms(large.naiveTable),
      },
    ])
  } finally {
    await browser.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run(standaloneContext('console'))
