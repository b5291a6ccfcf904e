/**
 * Billing end to end in Debian's Chromium: solves made through the console show up on the month's invoice preview;
 * one tenant's invoice and then every tenant's are exported as CSV, downloaded through the host with the token, and
 * read back with papaparse. Kept apart from console.test.ts so the rest of the console can land without billing.
 */
import Papa from 'papaparse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { chromiumAvailable } from './browser'
import { createVaultThroughUi, startHarness, type Harness } from './harness'

let h: Harness
let page: Page

type Row = Record<string, string>
const readCsv = async (href: string): Promise<Row[]> => {
  const text = await page.evaluate(async (u) => {
    const res = await fetch(u)
    if (!res.ok) throw new Error(`download failed: ${res.status}`)
    return res.text()
  }, href)
  const parsed = Papa.parse<Row>(text, { header: true, skipEmptyLines: true })
  expect(parsed.errors).toEqual([])
  return parsed.data
}

async function solveOnce(tenant: string, type: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Test solve' }).click()
  await page.getByLabel('Tenant').selectOption({ label: tenant })
  await page.getByLabel('Captcha type').selectOption({ label: type })
  await page.getByRole('button', { name: 'Solve', exact: true }).click()
  await expect
    .poll(() => page.getByTestId('solve-result').textContent(), { timeout: 20_000 })
    .toContain('Solved')
}

describe.skipIf(!chromiumAvailable())('billing in Chromium', () => {
  beforeAll(async () => {
    h = await startHarness()
    page = h.page
    await createVaultThroughUi(page, h.running.host.url, 'billing passphrase 1')
    h.running.engine.tenants.create(
      { name: 'Billed Ltd', timezone: 'Europe/Berlin', pricePlan: { kind: 'markup', markupBps: 0 } },
      'e2e',
    )
    h.running.engine.tenants.create({ name: 'Quiet GmbH', timezone: 'Asia/Tokyo' }, 'e2e')
  })
  afterAll(async () => {
    await h?.close()
  })

  it('the invoice preview lists this month’s solves, priced from micros', async () => {
    await solveOnce('Billed Ltd', 'Cloudflare Turnstile')
    await solveOnce('Billed Ltd', 'Cloudflare Turnstile')
    await solveOnce('Billed Ltd', 'reCAPTCHA v2')
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).click()
    await page.getByLabel('Tenant').selectOption({ label: 'Billed Ltd' })
    const preview = page.getByTestId('invoice-preview')
    await expect.poll(() => preview.textContent()).toContain('Cloudflare Turnstile')
    const text = (await preview.textContent())!
    expect(text).toContain('reCAPTCHA v2')
    expect(text).toContain('Europe/Berlin')
    expect(text).toMatch(/Total \(USD\) · 3 billed solves/)
    // 2 × 0.002 + 1 × 0.003 with the default prices: the total is not rounded away to 0.01.
    expect(text).toMatch(/3 billed solves\s*\$0\.007/)
    await h.shot('14-billing-preview')
    await page.getByLabel('Tenant').selectOption({ label: 'Quiet GmbH' })
    await expect.poll(() => preview.textContent()).toContain('No billed solves in this month.')
  })

  it('exports one tenant’s invoice; the CSVs download with the token and read back', async () => {
    await page.getByLabel('Tenant').selectOption({ label: 'Billed Ltd' })
    await page.getByRole('button', { name: 'Export this invoice (CSV)' }).click()
    const files = page.getByTestId('export-files')
    await expect.poll(() => files.textContent(), { timeout: 20_000 }).toMatch(/summary\.csv/)
    expect(await files.textContent()).toMatch(/detail\.csv/)
    const summaryHref = await page.getByRole('link', { name: /summary\.csv$/ }).getAttribute('href')
    const detailHref = await page.getByRole('link', { name: /detail\.csv$/ }).getAttribute('href')
    expect(summaryHref).toContain('token=')
    const summary = await readCsv(summaryHref!)
    expect(summary.every((r) => r.tenant_name === 'Billed Ltd')).toBe(true)
    const usage = summary.filter((r) => r.line === 'usage')
    expect(usage.map((r) => [r.captcha_type, r.quantity, r.unit_price, r.amount]).sort()).toEqual([
      ['recaptcha_v2', '1', '0.003000', '0.003000'],
      ['turnstile', '2', '0.002000', '0.004000'],
    ])
    expect(summary.find((r) => r.line === 'total')?.amount).toBe('0.007000')
    const detail = await readCsv(detailHref!)
    expect(detail).toHaveLength(3)
    expect(detail.every((r) => (r.task_id ?? '').length > 0)).toBe(true)
    // Without the token the host refuses the download.
    const status = await page.evaluate(async (u) => (await fetch(u.split('?')[0]!)).status, summaryHref!)
    expect(status).toBe(401)
  })

  it('exports every tenant with progress and a summary of all', async () => {
    await page.getByRole('button', { name: 'Export all tenants (CSV)' }).click()
    const files = page.getByTestId('export-files')
    await expect.poll(() => files.textContent(), { timeout: 20_000 }).toContain('all-tenants.csv')
    expect(await page.getByText(/files? written, 3 detail rows/).isVisible()).toBe(true)
    await h.shot('15-billing-exported')
    const all = await readCsv(
      (await page.getByRole('link', { name: /all-tenants\.csv$/ }).getAttribute('href'))!,
    )
    const billed = all.find((r) => r.tenant_name === 'Billed Ltd')!
    const quiet = all.find((r) => r.tenant_name === 'Quiet GmbH')!
    expect(billed.solves).toBe('3')
    expect(billed.price).toBe('0.007000')
    expect(quiet.solves).toBe('0')
    // The only console error is the download refused without the token, on purpose, above.
    expect(h.pageErrors.filter((e) => !e.includes('401'))).toEqual([])
  })
})
