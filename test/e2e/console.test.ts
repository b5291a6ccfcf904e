/**
 * End to end in Debian's Chromium against the headless host (in-process, temp data dir, Sandbox at ×200): first run,
 * tenants (errors next to fields, keys shown masked, suspend/delete with a confirmation dialog, 120 tenants paged and
 * searched), test solve with live progress, a rate limit that names itself, balances, dashboard, settings, audit,
 * both themes' contrast, keyboard paths, lock and unlock (with the throttle). Billing lives in billing.test.ts.
 * A screenshot of each screen goes to test-artifacts/screens/.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { SANDBOX_DEMO_KEY } from '../../electron/engine/sandbox'
import { chromiumAvailable } from './browser'
import { contrast, startHarness, type Harness } from './harness'

const PASS = 'e2e passphrase 123'
const TENANT_KEY = 'AbCdEfGh0123456789AbCdEfGhWxYz42'
let h: Harness
let page: Page

const heading = (name: string) => page.getByRole('heading', { name, level: 1 })
// Browser-side snippets are strings: the repo's tsconfig has no DOM types (tests run in Node).
const inPage = <T>(expression: string): Promise<T> => page.evaluate<T>(expression)
const focusedId = () => inPage<string>(`document.activeElement?.id ?? ''`)
const focusedText = () => inPage<string | null>('document.activeElement?.textContent ?? null')
const go = async (label: string) => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click()
  await heading(label).waitFor()
}

describe.skipIf(!chromiumAvailable())('operator console in Chromium', () => {
  beforeAll(async () => {
    h = await startHarness()
    page = h.page
  })
  afterAll(async () => {
    await h?.close()
  })

  it('first run: checks the passphrase next to the fields, creates the vault, strips the token', async () => {
    await page.goto(h.running.host.url)
    await heading('Welcome to CaptchaDesk').waitFor()
    expect(page.url()).not.toContain('token=')
    expect(await focusedId()).toBe('new-pass')
    await h.shot('01-first-run')
    await page.getByLabel('Vault passphrase').fill('short')
    await page.getByRole('button', { name: 'Create vault and start' }).click()
    const pass = page.getByLabel('Vault passphrase')
    await expect.poll(() => pass.getAttribute('aria-invalid')).toBe('true')
    expect(await page.locator('#new-pass-error').textContent()).toContain('at least 10 characters')
    expect(await focusedId()).toBe('new-pass')
    await pass.fill(PASS)
    await page.getByLabel('Repeat the passphrase').fill(`${PASS}x`)
    await page.getByRole('button', { name: 'Create vault and start' }).click()
    await expect.poll(() => page.locator('#confirm-pass-error').textContent()).toContain('differ')
    await h.shot('01b-first-run-errors')
    // A real provider needs a 32-character key: refused next to the field.
    await page.getByLabel(/^CaptchaAI/).check()
    await page.getByLabel('Platform API key').fill('too-short')
    await page.getByLabel('Repeat the passphrase').fill(PASS)
    await page.getByRole('button', { name: 'Create vault and start' }).click()
    await expect
      .poll(() => page.locator('#platform-key-error').textContent())
      .toContain('32 letters and digits')
    expect(h.running.engine.vault.exists()).toBe(false)
    await page.getByLabel(/^Sandbox/).check()
    await page.getByRole('button', { name: 'Create vault and start' }).click()
    await heading('Dashboard').waitFor({ timeout: 15_000 })
    // Focus lands on the new screen's heading.
    expect(await focusedId()).toBe('screen-title')
    expect(h.running.engine.vault.isUnlocked()).toBe(true)
    await h.shot('02-dashboard-empty')
  })

  it('keyboard: the skip link comes first and jumps to the content; routes move focus to the heading', async () => {
    // The skip link sits before the navigation: Shift+Tab from the first menu entry reaches it, visibly.
    await page.getByRole('link', { name: 'Dashboard' }).focus()
    await page.keyboard.press('Shift+Tab')
    expect(await focusedText()).toBe('Skip to content')
    expect(await page.getByRole('link', { name: 'Skip to content' }).boundingBox()).toMatchObject({
      x: expect.any(Number),
    })
    expect(
      (await page.getByRole('link', { name: 'Skip to content' }).boundingBox())!.x,
    ).toBeGreaterThanOrEqual(0)
    await page.keyboard.press('Enter')
    expect(await focusedId()).toBe('screen-title')
    // Navigate by keyboard only: focus the Tenants link and press Enter.
    await page.getByRole('link', { name: 'Tenants' }).focus()
    await page.keyboard.press('Enter')
    await heading('Tenants').waitFor()
    expect(await focusedId()).toBe('screen-title')
    expect(await page.title()).toBe('Tenants · CaptchaDesk')
  })

  it('adds tenants; client and engine errors appear next to the fields; nothing half-saved', async () => {
    await go('Tenants')
    expect(await page.getByTestId('tenant-table').textContent()).toContain('No tenants yet')
    for (const [name, rpm] of [
      ['Acme Scraping', ''],
      ['Limited Co', '1'],
      ['Short Lived', ''],
    ] as const) {
      await page.getByRole('link', { name: 'Add tenant' }).click()
      await heading('New tenant').waitFor()
      await page.getByLabel('Name', { exact: true }).fill(name)
      await page.getByLabel('Time zone').fill('Europe/Berlin')
      if (rpm) await page.getByLabel('Requests per minute').fill(rpm)
      await page.getByLabel('Monthly budget (USD)').fill('100')
      if (name === 'Acme Scraping') await h.shot('03-tenant-form')
      await page.getByRole('button', { name: 'Create tenant' }).click()
      // Create lands on the tenant's page.
      await heading(name).waitFor()
      await page.getByRole('link', { name: 'Back to the list' }).click()
      await heading('Tenants').waitFor()
    }
    await expect.poll(() => page.getByTestId('tenant-count').textContent()).toBe('3 tenants')

    await page.getByRole('link', { name: 'Add tenant' }).click()
    await page.getByLabel('Name', { exact: true }).fill('Broken')
    await page.getByLabel('Time zone').fill('Mars/Olympus')
    await page.getByLabel('Requests per minute').fill('lots')
    await page.getByRole('button', { name: 'Create tenant' }).click()
    await expect.poll(() => page.locator('#t-tz-error').textContent()).toContain('time zone from the list')
    expect(await page.locator('#t-rpm-error').textContent()).toContain('whole number')
    expect(await page.getByLabel('Time zone').getAttribute('aria-invalid')).toBe('true')
    expect(await page.getByRole('alert').first().textContent()).toContain('2 fields need attention')
    expect(await focusedId()).toBe('t-tz')
    // The engine's own limit (budget at most 1,000,000.00) comes back as a field error on the budget.
    await page.getByLabel('Time zone').fill('America/New_York')
    await page.getByLabel('Requests per minute').fill('')
    await page.getByLabel('Monthly budget (USD)').fill('2000000')
    await page.getByRole('button', { name: 'Create tenant' }).click()
    await expect.poll(() => page.locator('#t-budget-error').textContent()).toContain('absurdly large')
    await h.shot('03b-tenant-form-errors')
    await page.getByRole('link', { name: 'Back to the list' }).click()
    expect(
      h.running.engine.tenants
        .list()
        .map((t) => t.name)
        .sort(),
    ).toEqual(['Acme Scraping', 'Limited Co', 'Short Lived'])
    await h.shot('04-tenants')
  })

  it('sets a tenant’s own key: shown masked (label, last 4, fingerprint), never in full', async () => {
    await page.getByRole('link', { name: 'Acme Scraping', exact: true }).click()
    await heading('Acme Scraping').waitFor()
    await page.getByLabel('API key').fill('not a key')
    await page.getByRole('button', { name: 'Check and save key' }).click()
    await expect.poll(() => page.locator('#t-apikey-error').textContent()).toContain('32 letters')
    await page.getByLabel('API key').fill(TENANT_KEY)
    await page.getByRole('button', { name: 'Check and save key' }).click()
    const info = page.getByTestId('tenant-key')
    await expect.poll(() => info.textContent()).toContain(`•••• ${TENANT_KEY.slice(-4)}`)
    expect(await info.textContent()).toContain('Fingerprint')
    expect(await page.content()).not.toContain(TENANT_KEY)
    await page.getByRole('button', { name: 'Issue gateway key' }).click()
    await expect.poll(() => page.getByTestId('gateway-key').textContent()).toMatch(/^[A-Za-z0-9]{32}$/)
    await h.shot('04b-tenant-keys')
    await page.getByRole('button', { name: 'Done' }).click()
    await page.getByRole('link', { name: 'Back to the list' }).click()
    await expect.poll(() => page.getByTestId('tenant-table').textContent()).toContain('shared platform key')
  })

  it('suspend and delete ask first in a modal dialog; Escape cancels and focus comes back', async () => {
    const suspend = page.getByRole('button', { name: 'Suspend Short Lived' })
    await suspend.click()
    const dialog = page.getByRole('dialog', { name: 'Suspend “Short Lived”?' })
    await dialog.waitFor()
    expect(await focusedText()).toBe('Cancel')
    await h.shot('05-confirm-dialog')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
    expect(await inPage(`document.activeElement?.getAttribute('aria-label')`)).toBe('Suspend Short Lived')
    expect(h.running.engine.tenants.list().find((t) => t.name === 'Short Lived')!.status).toBe('active')
    await suspend.click()
    await page.getByRole('dialog').getByRole('button', { name: 'Suspend' }).click()
    await expect
      .poll(() => h.running.engine.tenants.list().find((t) => t.name === 'Short Lived')?.status)
      .toBe('suspended')
    await page.getByRole('button', { name: 'Delete Short Lived' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Delete tenant' }).click()
    await expect.poll(() => page.getByTestId('tenant-count').textContent()).toBe('2 tenants')
    expect(h.running.engine.tenants.list().map((t) => t.name)).not.toContain('Short Lived')
  })

  it('runs a test solve with live progress; the second solve is refused by the named rate limit', async () => {
    await go('Test solve')
    await page.getByLabel('Tenant').selectOption({ label: 'Limited Co' })
    await page.getByLabel('Captcha type').selectOption({ label: 'Cloudflare Turnstile' })
    expect(await page.getByLabel('Site key').inputValue()).not.toBe('')
    await page.getByRole('button', { name: 'Solve', exact: true }).click()
    await expect
      .poll(() => page.getByTestId('solve-result').textContent(), { timeout: 20_000 })
      .toContain('Solved')
    const stages = await page.getByRole('list', { name: 'Progress of the solve' }).textContent()
    expect(stages).toContain('Admitted')
    expect(stages).toContain('Accepted upstream as task')
    await h.shot('06-test-solve')
    await page.getByRole('button', { name: 'Solve', exact: true }).click()
    await expect
      .poll(() => page.getByTestId('solve-result').textContent(), { timeout: 20_000 })
      .toContain('Refused by the rate limit (requests per minute)')
    expect(await page.getByTestId('solve-result').textContent()).toMatch(/try again in (\d+ s|1 min)/)
    await h.shot('07-limit-hit')
    // A required parameter left empty is refused next to the field before anything is sent.
    await page.getByLabel('Tenant').selectOption({ label: 'Acme Scraping' })
    await page.getByLabel('Site key').fill('')
    await page.getByRole('button', { name: 'Solve', exact: true }).click()
    await expect.poll(() => page.locator('#s-sitekey-error').textContent()).toContain('Enter the site key')
  })

  it('checks balances', async () => {
    await go('Balances')
    await page.getByRole('button', { name: 'Check now' }).click()
    await expect
      .poll(() => page.getByTestId('balance-table').textContent(), { timeout: 15_000 })
      .toContain('Platform key')
    expect(await page.getByTestId('balance-table').textContent()).toContain('10.00')
    await h.shot('08-balances')
  })

  it('dashboard shows tenants against limits, charts and balances', async () => {
    await go('Dashboard')
    await expect.poll(() => page.getByRole('table').first().textContent()).toContain('Limited Co')
    expect(await page.locator('figure svg.recharts-surface').count()).toBeGreaterThanOrEqual(2)
    // The billed amount (0.003 USD: the 0.002 cost + the default 50 % markup for new tenants) is money formatted from
    // micros (not rounded away), against the 100.00 budget.
    expect(
      await page.getByRole('meter', { name: 'Limited Co: billed this month' }).getAttribute('aria-valuetext'),
    ).toBe('$0.003 / $100.00 (0 %)')
    await h.shot('09-dashboard')
  })

  it('settings: errors next to fields; a valid change is saved', async () => {
    await go('Settings')
    await page.getByLabel('Provider', { exact: true }).waitFor()
    await page.getByLabel('Base URL').fill('ftp://nope')
    await page.getByLabel('Solve timeout (s)').fill('5')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await expect.poll(() => page.locator('#st-base-error').textContent()).toContain('http')
    expect(await page.locator('#st-solve-error').textContent()).toContain('from 10 to 3,600')
    await h.shot('10b-settings-errors')
    await page.getByLabel('Base URL').fill('')
    await page.getByLabel('Solve timeout (s)').fill('90')
    await page.getByLabel('Lock the vault after idle minutes').fill('30')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await expect.poll(() => h.running.engine.settings.get().autoLockMinutes).toBe(30)
    expect(h.running.engine.settings.get().solveTimeoutSeconds).toBe(90)
    expect(await page.getByTestId('platform-key').textContent()).toMatch(/•••• \w{4}/)
    await h.shot('10-settings')
  })

  it('audit log lists what happened', async () => {
    await go('Audit log')
    await expect.poll(() => page.getByRole('table').textContent()).toContain('Created the tenant')
    await page.getByLabel('Action').selectOption({ label: 'Settings' })
    await expect.poll(() => page.getByRole('table').textContent()).not.toContain('Created the tenant')
    expect(await page.getByRole('table').textContent()).toContain('Changed settings')
    await page.getByRole('button', { name: 'Clear filters' }).click()
    expect(await page.content()).not.toContain(TENANT_KEY)
    await h.shot('11-audit')
  })

  it('both themes have readable contrast', async () => {
    for (const theme of ['light', 'dark'] as const) {
      await page.getByLabel('Theme').selectOption(theme)
      expect(await inPage('document.documentElement.dataset.theme')).toBe(theme)
      for (const [fg, bg] of <Array<[string, string]>>[
        ['--text', '--bg'],
        ['--text', '--panel'],
        ['--muted', '--bg'],
        ['--muted', '--panel'],
        ['--accent-text', '--accent'],
        ['--bad', '--panel'],
      ])
        expect(await contrast(page, fg, bg), `${theme} ${fg} on ${bg}`).toBeGreaterThanOrEqual(4.5)
      expect(await contrast(page, '--focus', '--bg'), `${theme} focus ring`).toBeGreaterThanOrEqual(3)
    }
    await go('Dashboard')
    await h.shot('12-dashboard-dark')
    await go('Tenants')
    await h.shot('12b-tenants-dark')
    await page.getByLabel('Theme').selectOption('system')
  })

  it('pages and searches a long tenant list', async () => {
    for (let i = 0; i < 118; i++)
      h.running.engine.tenants.create({ name: `Bulk ${String(i).padStart(3, '0')}` }, 'e2e')
    await go('Dashboard')
    await go('Tenants')
    await expect.poll(() => page.getByTestId('tenant-count').textContent()).toBe('120 tenants')
    expect(await page.getByTestId('tenant-table').locator('tbody tr').count()).toBe(50)
    expect(await page.getByRole('navigation', { name: 'Tenant pages' }).textContent()).toContain(
      'Page 1 of 3',
    )
    await page.getByRole('button', { name: 'Next' }).click()
    expect(await page.getByRole('navigation', { name: 'Tenant pages' }).textContent()).toContain(
      'Page 2 of 3',
    )
    await page.getByLabel('Search tenants').fill('bulk 07')
    await expect.poll(() => page.getByTestId('tenant-count').textContent()).toBe('10 tenants of 120')
    expect(await page.getByTestId('tenant-table').locator('tbody tr').count()).toBe(10)
    await page.getByLabel('Search tenants').fill('')
  })

  it('locks and unlocks; wrong passphrases are refused, then throttled with a countdown', async () => {
    await page.getByRole('button', { name: 'Lock' }).click()
    await heading('Unlock CaptchaDesk').waitFor()
    expect(h.running.engine.vault.isUnlocked()).toBe(false)
    expect(await page.getByText('You locked the vault.').isVisible()).toBe(true)
    const field = page.getByLabel('Passphrase')
    for (let i = 0; i < 3; i++) {
      await field.fill(`wrong passphrase ${i}`)
      await page.getByRole('button', { name: 'Unlock' }).click()
      await expect
        .poll(() => page.getByRole('alert').first().textContent())
        .toContain('does not open this vault')
      await expect.poll(() => page.getByRole('button', { name: 'Unlock' }).isEnabled()).toBe(true)
    }
    await field.fill('wrong passphrase again')
    await page.getByRole('button', { name: 'Unlock' }).click()
    await expect.poll(() => page.getByTestId('throttle').textContent()).toMatch(/Try again in \d+ s/)
    expect(await page.getByRole('button', { name: /^Wait \d+ s$/ }).isDisabled()).toBe(true)
    await h.shot('13-unlock-throttled')
    // The countdown runs out visibly: no stale "try again in 1 s" left standing.
    await expect
      .poll(() => page.getByTestId('throttle').textContent(), { timeout: 15_000 })
      .toBe('You can try again now.')
    await field.fill(PASS)
    await page.getByRole('button', { name: 'Unlock' }).waitFor({ timeout: 10_000 })
    await page.getByRole('button', { name: 'Unlock' }).click()
    // Back where the operator was.
    await heading('Tenants').waitFor({ timeout: 15_000 })
    expect(h.running.engine.vault.isUnlocked()).toBe(true)
  })

  it('no page errors, and no file the app wrote contains a plaintext key', () => {
    expect(h.pageErrors).toEqual([])
    const scan = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? scan(join(dir, e.name)) : [join(dir, e.name)],
      )
    const files = scan(h.dataDir)
    expect(files.some((f) => f.includes(`${join('logs', 'captchadesk')}`))).toBe(true) // the log is scanned too
    for (const f of files) {
      const text = readFileSync(f, 'latin1')
      expect(text, f).not.toContain(SANDBOX_DEMO_KEY)
      expect(text, f).not.toContain(TENANT_KEY)
    }
  })
})
