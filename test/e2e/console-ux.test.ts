/**
 * The console's first hour, end to end in Chromium on a UTC machine (browser time zone UTC): the onboarding
 * checklist ticking itself off, the first tenant created with the prefilled UTC zone, the tenant page after Create
 * with the key check and the duplicate-key warning, a daily-limit refusal in human time, the gateway snippet copied
 * and run against the gateway, lock and failed unlock in the audit log, the tenants table at 1024 px, and an axe-core
 * audit plus screenshots of every screen in light and dark at 1366 and 1024 px.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { SANDBOX_DEMO_KEY } from '../../electron/engine/sandbox'
import { chromiumAvailable, SCREENS } from './browser'
import { axeViolations, startHarness, type Harness } from './harness'

const REPO = join(import.meta.dirname, '../..')
const PASS = 'e2e passphrase 456'
const TENANT_KEY = 'ZyXwVuTs0123456789ZyXwVuTsAbCd77'
let h: Harness
let page: Page

const heading = (name: string) => page.getByRole('heading', { name, level: 1 })
const go = async (label: string) => {
  // Not exact: the Dashboard link carries the active-alert badge.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click()
  await heading(label).waitFor()
}
const tenantId = (name: string) => h.running.engine.tenants.list().find((t) => t.name === name)!.id
const openTenant = async (name: string) => {
  await page.goto(`${new URL(h.running.host.url).origin}/#/tenants/${tenantId(name)}`)
  await heading(name).waitFor()
}
const stepDone = (id: string) =>
  page.locator(`[data-testid="onboarding"] li[data-step="${id}"]`).getAttribute('class')

describe.skipIf(!chromiumAvailable())('console UX in Chromium (UTC browser)', () => {
  beforeAll(async () => {
    h = await startHarness({
      context: { timezoneId: 'UTC', permissions: ['clipboard-read', 'clipboard-write'] },
    })
    page = h.page
  })
  afterAll(async () => {
    await h?.close()
  })

  it('first run passes the accessibility audit in both themes; the checklist starts with unlock and Sandbox done', async () => {
    await page.goto(h.running.host.url)
    await heading('Welcome to CaptchaDesk').waitFor()
    await sweepScreen('00-first-run')
    await page.getByLabel('Vault passphrase').fill(PASS)
    await page.getByLabel('Repeat the passphrase').fill(PASS)
    await page.getByRole('button', { name: 'Create vault and start' }).click()
    await heading('Dashboard').waitFor({ timeout: 15_000 })
    await page.getByTestId('onboarding').waitFor()
    expect(await stepDone('unlock')).toBe('done')
    expect(await stepDone('provider')).toBe('done')
    expect(await stepDone('tenant')).toBeNull()
    expect(await page.getByTestId('serving-state').textContent()).toContain('Gateway off')
  })

  it('creates the first tenant on a UTC machine with the prefilled zone, and lands on its page', async () => {
    await go('Tenants')
    await page.getByRole('link', { name: 'Add tenant' }).click()
    await heading('New tenant').waitFor()
    expect(await page.getByLabel('Time zone').inputValue()).toBe('UTC')
    expect(await page.locator('#t-tz-hint').textContent()).toMatch(/Now there: \d\d:\d\d \(UTC/)
    await page.getByLabel('Name', { exact: true }).fill('First Light')
    await page.getByLabel('Requests per minute').fill('3')
    expect(await page.locator('#t-rpm-hint').textContent()).toContain('at most 3 in any 60 seconds')
    await page.getByRole('button', { name: 'Create tenant' }).click()
    await heading('First Light').waitFor()
    expect(h.running.engine.tenants.list().find((t) => t.name === 'First Light')?.timezone).toBe('UTC')
    // Etc/ zones are offered and accepted too.
    await page.getByRole('link', { name: 'Edit settings' }).click()
    await page.getByLabel('Time zone').fill('etc/gmt-3')
    await page.getByRole('button', { name: 'Save changes' }).click()
    await heading('First Light').waitFor()
    expect(h.running.engine.tenants.get(tenantId('First Light'))?.timezone).toBe('Etc/GMT-3')
    await go('Dashboard')
    await expect.poll(() => stepDone('tenant')).toBe('done')
  })

  it('tenant page after Create: the own key is checked, and a duplicate key is flagged before it is saved', async () => {
    await go('Tenants')
    await page.getByRole('link', { name: 'Add tenant' }).click()
    await page.getByLabel('Name', { exact: true }).fill('Own Key Co')
    await page.getByLabel('The tenant’s own upstream key (you set it on the tenant’s page next)').check()
    await page.getByRole('button', { name: 'Create tenant' }).click()
    await heading('Own Key Co').waitFor()
    expect(await page.getByText('none is saved yet').isVisible()).toBe(true)
    // Balance or credit: a postpaid tenant's card says what its client reads from getbalance.
    await expect
      .poll(() => page.getByTestId('tenant-credit').textContent())
      .toContain('Balance its client sees')
    const id = tenantId('Own Key Co')
    // The platform key (the Sandbox demo key) pasted as the tenant's: flagged, and Cancel saves nothing.
    await page.getByLabel('API key').fill(SANDBOX_DEMO_KEY)
    await page.getByRole('button', { name: 'Check and save key' }).click()
    const dialog = page.getByRole('dialog', { name: 'This key is already in use' })
    await dialog.waitFor()
    expect(await dialog.textContent()).toContain('the platform key')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    expect(h.running.engine.vault.hasKey({ tenantId: id })).toBe(false)
    expect(await page.getByTestId('key-check').textContent()).toContain('this key is the platform key')
    // A key of its own: balance-checked, then saved.
    await page.getByLabel('API key').fill(TENANT_KEY)
    await page.getByRole('button', { name: 'Check and save key' }).click()
    await expect
      .poll(() => page.getByTestId('tenant-key').textContent())
      .toContain(`•••• ${TENANT_KEY.slice(-4)}`)
    expect(await page.getByTestId('key-check').textContent()).toMatch(
      /Balance call answered: \$[\d.,]+|refused a balance call/,
    )
    // The same key on another tenant names the first one; saving anyway is the operator's call.
    await openTenant('First Light')
    await page.getByLabel('API key').fill(TENANT_KEY)
    await page.getByRole('button', { name: 'Check and save key' }).click()
    const again = page.getByRole('dialog', { name: 'This key is already in use' })
    await again.waitFor()
    expect(await again.textContent()).toContain('“Own Key Co”')
    await h.shot('20-duplicate-key-warning')
    await again.getByRole('button', { name: 'Save anyway' }).click()
    await expect.poll(() => h.running.engine.vault.hasKey({ tenantId: tenantId('First Light') })).toBe(true)
    // Once saved, the field is cleared: the key is nowhere in the page.
    await expect.poll(() => page.content()).not.toContain(TENANT_KEY)
  })

  it('a daily-limit refusal gives its retry time in words, on the tenant’s clock', async () => {
    h.running.engine.tenants.create(
      { name: 'Daily NY', timezone: 'America/New_York', limits: { solvesPerDay: 1 } },
      'e2e',
    )
    await go('Test solve')
    await page.getByLabel('Tenant').selectOption({ label: 'Daily NY' })
    await page.getByRole('button', { name: 'Solve', exact: true }).click()
    const result = page.getByTestId('solve-result')
    await expect.poll(() => result.textContent(), { timeout: 20_000 }).toContain('Solved')
    // Focus follows the answer; the last step says what happened, not "waiting".
    expect(await page.evaluate<string>(`document.activeElement?.dataset?.testid ?? ''`)).toBe('solve-result')
    const steps = await page.getByRole('list', { name: 'Progress of the solve' }).textContent()
    expect(steps).toContain('Answer received.')
    expect(steps).not.toContain('waiting for the answer')
    await page.getByRole('button', { name: 'Solve', exact: true }).click()
    await expect.poll(() => result.textContent(), { timeout: 20_000 }).toContain('Refused by the daily limit')
    expect(await result.textContent()).toMatch(
      /resets in (\d+ h( \d+ min)?|\d+ min( \d+ s)?), at 00:00 New York time\./,
    )
    expect(await page.getByTestId('retry-time').textContent()).toMatch(
      /^You can try again in .+ New York time\.$/,
    )
    expect(await result.textContent()).not.toMatch(/\d{4,} s/)
    await h.shot('21-refusal-human-time')
    // An input the engine refuses: the summary names no internal field path, and no "Sent to the engine…" stays.
    await page.getByLabel('Captcha type').selectOption('image')
    await page.getByLabel('Image (base64, no data: prefix)').fill('not base64 at all!')
    await page.getByRole('button', { name: 'Solve', exact: true }).click()
    await expect.poll(() => page.locator('#s-body-error').textContent()).toContain('base64')
    const summary = (await page.getByRole('alert').first().textContent())!
    expect(summary).toContain('One field needs attention')
    expect(summary).not.toMatch(/request\.|body:/)
    expect(await page.getByRole('list', { name: 'Progress of the solve' }).count()).toBe(0)
    await go('Dashboard')
    await expect.poll(() => stepDone('solve')).toBe('done')
  })

  it('hands the gateway over: URL and key in the issue dialog, the curl snippet copied and run against the gateway', async () => {
    await go('Settings')
    await page.getByRole('button', { name: 'Start serving' }).click()
    await expect.poll(() => page.getByTestId('gateway-status').textContent()).toContain('Serving at')
    const url = (await page.getByTestId('gateway-status').locator('code').textContent())!
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    await expect
      .poll(() => page.getByTestId('serving-state').textContent(), { timeout: 15_000 })
      .toContain(url)
    // Two clients at once below: lift the 3-per-minute limit set earlier (it would refuse the second, rightly).
    h.running.engine.tenants.update(tenantId('First Light'), { limits: {} }, 'e2e')
    await openTenant('First Light')
    await page.getByRole('button', { name: 'Issue gateway key' }).click()
    const dialog = page.getByTestId('gateway-handover')
    await dialog.waitFor()
    expect(await dialog.getByTestId('gateway-url').textContent()).toBe(url)
    const key = (await dialog.getByTestId('gateway-key').textContent())!
    expect(key).toMatch(/^[A-Za-z0-9]{32}$/)
    await dialog.getByRole('button', { name: 'Copy key' }).click()
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(key)
    await h.shot('22-gateway-handover')
    for (const tab of ['Python (requests)', 'Node (2captcha)', 'JSON task API']) {
      await dialog.getByRole('tab', { name: tab }).click()
      const code = (await dialog.getByTestId('snippet-code').textContent())!
      expect(code).toContain(url)
      expect(code).toContain(key)
    }
    await dialog.getByRole('tab', { name: 'curl' }).click()
    await dialog.getByRole('button', { name: 'Copy curl snippet' }).click()
    const snippet = await page.evaluate<string>('navigator.clipboard.readText()')
    expect(snippet).toContain(`GATEWAY="${url}"`)
    // The Node snippet too, with the real `2captcha` client (installed), at the same time.
    await dialog.getByRole('tab', { name: 'Node (2captcha)' }).click()
    const nodeSnippet = (await dialog.getByTestId('snippet-code').textContent())!
    await dialog.getByRole('tab', { name: 'JSON task API' }).click()
    const jsonSnippet = (await dialog.getByTestId('snippet-code').textContent())!
    await dialog.getByRole('tab', { name: 'curl' }).click()
    const [run, nodeRun, jsonRun] = await Promise.all([
      promisify(execFile)('bash', ['-c', snippet], { timeout: 60_000 }),
      promisify(execFile)(process.execPath, ['-e', nodeSnippet], { timeout: 60_000, cwd: REPO }),
      promisify(execFile)('bash', ['-c', jsonSnippet], { timeout: 60_000 }),
    ])
    expect(nodeRun.stderr).toBe('')
    expect(nodeRun.stdout.trim().length).toBeGreaterThan(10) // the Turnstile token
    expect(JSON.parse(jsonRun.stdout)).toMatchObject({
      errorId: 0,
      status: 'ready',
      solution: { token: expect.any(String) },
    })
    const lines = run.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^OK\|\d+(\.\d+)?$/) // getbalance: what is left of the tenant's budget
    expect(lines.at(-1)).toMatch(/^OK\|.+/)
    await dialog.getByRole('button', { name: 'Done' }).click()
    await dialog.waitFor({ state: 'hidden' })
    await go('Dashboard')
    await expect.poll(() => stepDone('gateway')).toBe('done')
  })

  it('the checklist disappears once the first invoice is exported', async () => {
    expect(await stepDone('invoice')).toBeNull()
    await go('Billing')
    await page.getByRole('button', { name: 'Export all tenants (CSV)' }).click()
    await page.getByRole('heading', { name: 'Exported' }).waitFor({ timeout: 20_000 })
    await go('Dashboard')
    await page.getByRole('table').first().waitFor()
    await expect.poll(() => page.getByTestId('onboarding').count(), { timeout: 10_000 }).toBe(0)
  })

  it('the audit log shows a lock and a failed unlock, in words, filtered by action and tenant', async () => {
    await page.getByRole('button', { name: 'Lock' }).click()
    await heading('Unlock CaptchaDesk').waitFor()
    await page.getByLabel('Passphrase').fill('not the passphrase')
    await page.getByRole('button', { name: 'Unlock' }).click()
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('does not open')
    await page.getByLabel('Passphrase').fill(PASS)
    await page.getByRole('button', { name: 'Unlock' }).click()
    await heading('Dashboard').waitFor({ timeout: 15_000 })
    await go('Audit log')
    const table = page.getByTestId('audit-table')
    await page.getByLabel('Action').selectOption({ label: 'Locks' })
    await expect.poll(() => table.textContent()).toContain('Locked the vault')
    expect(await table.textContent()).toContain('by the operator')
    await page.getByLabel('Action').selectOption({ label: 'Failed unlocks' })
    await expect.poll(() => table.textContent()).toContain('Failed to unlock the vault')
    expect(await table.textContent()).toContain('wrong passphrase')
    await expect.poll(() => table.textContent()).not.toContain('Locked the vault')
    await page.getByLabel('Action').selectOption({ label: 'All actions' })
    await page.getByLabel('Tenant').selectOption({ label: 'First Light' })
    await expect.poll(() => table.textContent()).toContain('time zone UTC → Etc/GMT-3')
    // The filter applies asynchronously: wait for the table to change, not for a text it already had.
    await expect.poll(() => table.textContent()).not.toContain('Failed to unlock')
    await h.shot('23-audit-filtered')
    await page.getByRole('button', { name: 'Clear filters' }).click()
  })

  it('at 1024 px the tenants table scrolls inside its frame and every row action is reachable', async () => {
    await page.setViewportSize({ width: 1024, height: 700 })
    await go('Tenants')
    const region = page.getByRole('region', { name: 'Tenants (scrolls sideways on narrow windows)' })
    expect(await region.getAttribute('tabindex')).toBe('0')
    // The page itself never scrolls sideways: the table does.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1024)
    for (const name of ['First Light', 'Own Key Co', 'Daily NY'])
      for (const label of [`Edit ${name}`, `Suspend ${name}`, `Delete ${name}`]) {
        const control = page.getByRole(label.startsWith('Edit') ? 'link' : 'button', { name: label })
        await control.scrollIntoViewIfNeeded()
        const box = (await control.boundingBox())!
        expect(box.x, label).toBeGreaterThanOrEqual(0)
        expect(box.x + box.width, label).toBeLessThanOrEqual(1024)
        await control.click({ trial: true })
      }
    await page.getByRole('button', { name: 'Delete Daily NY' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click()
    await page.setViewportSize({ width: 1366, height: 860 })
  })

  it(`every screen passes axe-core (no serious or critical) in light and dark; screenshots in ${SCREENS}`, async () => {
    const origin = new URL(h.running.host.url).origin
    const screens: Array<[string, string]> = [
      ['dashboard', '#/dashboard'],
      ['tenants', '#/tenants'],
      ['tenant-page', `#/tenants/${tenantId('Own Key Co')}`],
      ['tenant-edit', `#/tenants/${tenantId('Own Key Co')}/edit`],
      ['tenant-new', '#/tenants/new'],
      ['test-solve', '#/solve'],
      ['balances', '#/balances'],
      ['billing', '#/billing'],
      ['settings', '#/settings'],
      ['audit', '#/audit'],
    ]
    for (const [name, hash] of screens) {
      await page.goto(`${origin}/${hash}`)
      await page.locator('#screen-title').waitFor()
      await page.waitForLoadState('networkidle')
      await sweepScreen(`30-${name}`)
    }
    await page.getByRole('button', { name: 'Lock' }).click()
    await heading('Unlock CaptchaDesk').waitFor()
    await sweepScreen('31-unlock')
    console.log(`\nScreenshots of every screen (light/dark, 1366/1024 px): ${SCREENS}\n`)
    expect(h.pageErrors).toEqual([])
  })
})

/** Light and dark (the system setting the console follows), 1366 and 1024 wide: axe-core and a screenshot each. */
async function sweepScreen(name: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme })
    for (const width of [1366, 1024]) {
      await page.setViewportSize({ width, height: width === 1366 ? 860 : 700 })
      if (width === 1366) expect(await axeViolations(page), `${name} ${scheme}`).toEqual([])
      await h.shot(`${name}-${scheme}-${width}`)
    }
  }
  await page.emulateMedia({ colorScheme: 'light' })
  await page.setViewportSize({ width: 1366, height: 860 })
}
