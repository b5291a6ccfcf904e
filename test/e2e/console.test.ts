/**
 * End to end in real Chromium against the headless host and the Sandbox: create the vault, add tenants, run a test
 * solve, hit a limit, check a balance, export an invoice and read the CSV back, lock and unlock. Screenshots of each
 * screen go to test-artifacts/screens.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { parseCsv } from '../../electron/engine/billing'
import { runHost, type RunningHost } from '../../electron/engine/host/run-host'
import { SANDBOX_DEMO_KEY } from '../../electron/engine/sandbox'
import { launchChromium, SCREENS } from './browser'

const PASS = 'e2e passphrase 123'
let browser: Browser
let running: RunningHost
let page: Page
let dataDir: string

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'e2e-data-'))
  running = await runHost({
    dataDir,
    rendererDir: join(import.meta.dirname, '../../out/renderer'),
    sandboxSpeed: 200,
    weakKdfForTests: true,
  })
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } })
  page.on('pageerror', (e) => console.error('page error:', e.message))
})

afterAll(async () => {
  await browser?.close()
  await running?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const shot = (name: string) => page.screenshot({ path: join(SCREENS, `${name}.png`), fullPage: true })

describe('operator console in Chromium', () => {
  it('first run: creates the vault on the Sandbox; the token leaves the address bar', async () => {
    await page.goto(running.host.url)
    await expect
      .poll(() => page.getByRole('heading', { name: 'Welcome to CaptchaDesk' }).isVisible())
      .toBe(true)
    expect(page.url()).not.toContain('token=')
    await shot('01-first-run')
    await page.getByLabel('Vault passphrase').fill('short')
    await page.getByLabel('Repeat the passphrase').fill('short')
    await page.getByRole('button', { name: 'Create vault and start' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('at least 10 characters')
    await page.getByLabel('Vault passphrase').fill(PASS)
    await page.getByLabel('Repeat the passphrase').fill(PASS)
    await page.getByRole('button', { name: 'Create vault and start' }).click()
    await expect
      .poll(() => page.getByRole('heading', { name: 'Dashboard' }).isVisible(), { timeout: 15_000 })
      .toBe(true)
    await shot('02-dashboard-empty')
  })

  it('adds tenants, one with a limit of one request per minute', async () => {
    await page.getByRole('link', { name: 'Tenants' }).click()
    for (const [name, rpm] of [
      ['Acme Scraping', ''],
      ['Limited Co', '1'],
    ] as const) {
      await page.getByRole('button', { name: 'Add tenant' }).click()
      await page.getByLabel('Name', { exact: true }).fill(name)
      await page.getByLabel('Time zone').fill('Europe/Berlin')
      if (rpm) await page.getByLabel('Requests per minute').fill(rpm)
      await page.getByLabel('Monthly budget (USD)').fill('100')
      if (name === 'Acme Scraping') await shot('03-tenant-form')
      await page.getByRole('button', { name: 'Create tenant' }).click()
      await expect.poll(() => page.getByRole('heading', { name: 'Tenants' }).isVisible()).toBe(true)
    }
    await expect.poll(() => page.getByTestId('tenant-table').textContent()).toContain('Limited Co')
    // Bad input gets a clear error and changes nothing.
    await page.getByRole('button', { name: 'Add tenant' }).click()
    await page.getByLabel('Name', { exact: true }).fill('Broken')
    await page.getByLabel('Time zone').fill('Mars/Olympus')
    await page.getByRole('button', { name: 'Create tenant' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('IANA time zone')
    await page.getByRole('button', { name: 'Back to the list' }).click()
    expect(
      running.engine.tenants
        .list()
        .map((t) => t.name)
        .sort(),
    ).toEqual(['Acme Scraping', 'Limited Co'])
    await shot('04-tenants')
  })

  it('runs a test solve and shows the answer; a second solve for the limited tenant names the limit', async () => {
    await page.getByRole('link', { name: 'Test solve' }).click()
    await page.getByLabel('Tenant').selectOption({ label: 'Limited Co' })
    await page.getByLabel('Captcha type').selectOption({ label: 'Cloudflare Turnstile' })
    await page.getByRole('button', { name: 'Solve', exact: true }).click()
    await expect
      .poll(() => page.getByTestId('solve-result').textContent(), { timeout: 20_000 })
      .toContain('Solved')
    await shot('05-test-solve')
    await page.getByRole('button', { name: 'Solve', exact: true }).click()
    await expect
      .poll(() => page.getByTestId('solve-result').textContent(), { timeout: 20_000 })
      .toContain('Refused by the rate limit')
    await shot('06-limit-hit')
  })

  it('checks balances', async () => {
    await page.getByRole('link', { name: 'Balances' }).click()
    await page.getByRole('button', { name: 'Check now' }).click()
    await expect
      .poll(() => page.getByTestId('balance-table').textContent(), { timeout: 15_000 })
      .toContain('Platform key')
    await shot('07-balances')
  })

  it('exports the month’s invoice and the CSV reads back', async () => {
    await page.getByRole('link', { name: 'Billing' }).click()
    await page.getByLabel('Tenant').selectOption({ label: 'Limited Co' })
    await expect
      .poll(() => page.getByTestId('invoice-preview').textContent())
      .toContain('Cloudflare Turnstile')
    await page.getByRole('button', { name: 'Export all tenants' }).click()
    await expect
      .poll(() => page.getByTestId('export-files').textContent(), { timeout: 20_000 })
      .toContain('all-tenants.csv')
    await shot('08-billing')
    const link = page.getByRole('link', { name: /all-tenants\.csv/ })
    const href = await link.getAttribute('href')
    const csv = await page.evaluate(async (u) => (await fetch(u!)).text(), href)
    const rows = parseCsv(csv)
    expect(rows[0]).toEqual([
      'month',
      'tenant_id',
      'tenant_name',
      'invoice_number',
      'status',
      'currency',
      'solves',
      'cost',
      'price',
      'margin',
    ])
    const limited = rows.find((r) => r[2] === 'Limited Co')!
    expect(limited[6]).toBe('1')
    expect(limited[8]).toBe('0.002000')
    expect(readdirSync(running.engine.paths.exports).length).toBeGreaterThanOrEqual(5)
  })

  it('dashboard, settings and audit render with data', async () => {
    await page.getByRole('link', { name: 'Dashboard' }).click()
    await expect.poll(() => page.getByRole('table').first().textContent()).toContain('Limited Co')
    await shot('09-dashboard')
    await page.getByRole('link', { name: 'Settings' }).click()
    await expect.poll(() => page.getByLabel('Provider', { exact: true }).isVisible()).toBe(true)
    await shot('10-settings')
    await page.getByRole('link', { name: 'Audit log' }).click()
    await expect.poll(() => page.getByRole('table').textContent()).toContain('tenant.create')
    await shot('11-audit')
    await page.getByRole('button', { name: 'Dark theme' }).click()
    await page.getByRole('link', { name: 'Dashboard' }).click()
    await shot('12-dashboard-dark')
  })

  it('locks and unlocks; a wrong passphrase is refused', async () => {
    await page.getByRole('button', { name: 'Lock' }).click()
    await expect.poll(() => page.getByRole('heading', { name: 'Unlock CaptchaDesk' }).isVisible()).toBe(true)
    expect(running.engine.vault.isUnlocked()).toBe(false)
    await page.getByLabel('Passphrase').fill('not the passphrase')
    await page.getByRole('button', { name: 'Unlock' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('does not open this vault')
    await shot('13-unlock')
    await page.getByLabel('Passphrase').fill(PASS)
    await page.getByRole('button', { name: 'Unlock' }).click()
    await expect
      .poll(() => page.getByRole('heading', { name: 'Dashboard' }).isVisible(), { timeout: 15_000 })
      .toBe(true)
  })

  it('no file the app wrote contains a plaintext key', () => {
    const scan = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? scan(join(dir, e.name)) : [join(dir, e.name)],
      )
    for (const f of scan(dataDir)) expect(readFileSync(f, 'latin1'), f).not.toContain(SANDBOX_DEMO_KEY)
  })
})
