/** One console under test: the headless host in-process (temp data dir, fast Sandbox) and a Chromium page on it. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContextOptions, Page } from 'playwright-core'
import { runHost, type RunningHost } from '../../electron/engine/host/run-host'
import { launchChromium, SCREENS } from './browser'

export const RENDERER_DIR = join(import.meta.dirname, '../../out/renderer')
const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js')

export interface Harness {
  running: RunningHost
  browser: Browser
  page: Page
  dataDir: string
  /** Page errors and console errors seen so far (a test can assert there were none). */
  pageErrors: string[]
  shot(name: string): Promise<void>
  close(): Promise<void>
}

export async function startHarness(
  options: { sandboxSpeed?: number; context?: BrowserContextOptions; dataDir?: string } = {},
): Promise<Harness> {
  if (!existsSync(join(RENDERER_DIR, 'index.html')))
    throw new Error('The console is not built: run `npx electron-vite build` (npm run test:e2e does).')
  // A data folder prepared by the test (it is removed at close like a fresh one).
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'e2e-data-'))
  const running = await runHost({
    dataDir,
    rendererDir: RENDERER_DIR,
    sandboxSpeed: options.sandboxSpeed ?? 200,
    weakKdfForTests: true,
  })
  // Any free port for the gateway: the default 8787 may be taken on a shared machine.
  running.engine.settings.update({ gateway: { ...running.engine.settings.get().gateway, port: 0 } })
  const browser = await launchChromium()
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, ...options.context })
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text())
  })
  return {
    running,
    browser,
    page,
    dataDir,
    pageErrors,
    async shot(name) {
      await page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: true })
    },
    async close() {
      await browser.close().catch(() => undefined)
      await running.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** First run through the UI with the Sandbox provider. */
export async function createVaultThroughUi(page: Page, url: string, passphrase: string): Promise<void> {
  await page.goto(url)
  await page.getByLabel('Vault passphrase').fill(passphrase)
  await page.getByLabel('Repeat the passphrase').fill(passphrase)
  await page.getByRole('button', { name: 'Create vault and start' }).click()
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor({ timeout: 15_000 })
}

/** WCAG contrast ratio of two CSS colour variables as the browser computes them (a string: no DOM types here). */
export async function contrast(page: Page, fgVar: string, bgVar: string): Promise<number> {
  return page.evaluate<number>(`(() => {
    const probe = document.createElement('div')
    document.body.append(probe)
    const rgb = (v) => {
      probe.style.color = 'var(' + v + ')'
      const m = /rgba?\\((\\d+),\\s*(\\d+),\\s*(\\d+)/.exec(getComputedStyle(probe).color)
      return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0]
    }
    const lum = (c) => {
      const [r, g, b] = c.map((x) => {
        const s = x / 255
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
      })
      return 0.2126 * r + 0.7152 * g + 0.0722 * b
    }
    const a = lum(rgb(${JSON.stringify(fgVar)}))
    const b = lum(rgb(${JSON.stringify(bgVar)}))
    probe.remove()
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)
  })()`)
}

/** axe-core in the page (evaluated over CDP, so the console's CSP stays as it is): serious and critical findings. */
export async function axeViolations(page: Page): Promise<string[]> {
  const loaded = await page.evaluate<boolean>('typeof window.axe === "object"')
  if (!loaded) await page.evaluate(readFileSync(AXE_PATH, 'utf8'))
  return page.evaluate<string[]>(`(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] })
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => v.id + ' (' + v.impact + '): ' + v.help + ' — ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' ' + (n.failureSummary || '').replace(/\\s+/g, ' ')).join(' | '))
  })()`)
}
