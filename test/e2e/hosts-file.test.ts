/**
 * Settings → Hosts-file mode in Chromium: turn it on with an own host name (saved, and the running gateway gets its
 * HTTPS listener), download the CA certificate (the public certificate, never a key), read the steps for each
 * client OS with every host line filled in; axe finds nothing serious on the card.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { chromiumAvailable } from './browser'
import { axeViolations, createVaultThroughUi, startHarness, type Harness } from './harness'

let h: Harness
let page: Page

describe.skipIf(!chromiumAvailable())('hosts-file mode in the console', () => {
  beforeAll(async () => {
    h = await startHarness()
    page = h.page
    await createVaultThroughUi(page, h.running.host.url, 'hosts file passphrase 1')
    const g = h.running.engine.settings.get().gateway
    h.running.engine.settings.update({ gateway: { ...g, port: 0 } })
  })
  afterAll(async () => {
    await h?.close()
  })

  it('turns hosts-file mode on, downloads the CA, and shows the steps per OS', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click()
    const card = page.getByRole('region', { name: 'Hosts-file mode' })
    await card.waitFor()
    await card.getByLabel('Answer on any host name, and over HTTPS').check()
    await card.getByLabel('HTTPS port').fill('0')
    await card.getByLabel(/Your own host names/).fill('captcha.platform.example\nbad_name!')
    await card.getByRole('button', { name: 'Save hosts-file mode' }).click()
    await expect.poll(() => card.locator('#hf-names-error').textContent()).toContain('not a host name')
    await card.getByLabel(/Your own host names/).fill('captcha.platform.example')
    await card.getByRole('button', { name: 'Save hosts-file mode' }).click()
    await expect
      .poll(() => h.running.engine.settings.get().gateway)
      .toMatchObject({ hostsFileMode: true, httpsPort: 0, hostNames: ['captcha.platform.example'] })

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CA certificate' }).click(),
    ])
    expect(download.suggestedFilename()).toBe('captchadesk-local-ca.crt')
    const pem = readFileSync((await download.path())!, 'utf8')
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----/)
    expect(pem).not.toMatch(/PRIVATE KEY/)

    const steps = page.getByTestId('hosts-file-steps')
    await expect.poll(() => steps.textContent()).toContain('127.0.0.1 2captcha.com')
    expect(await steps.textContent()).toContain('127.0.0.1 captcha.platform.example')
    expect(await steps.textContent()).toContain('update-ca-certificates')
    await steps.getByRole('tab', { name: 'Windows' }).click()
    await expect.poll(() => steps.textContent()).toContain('Cert:\\LocalMachine\\Root')
    await steps.getByRole('tab', { name: 'macOS' }).click()
    await expect.poll(() => steps.textContent()).toContain('add-trusted-cert')
    await h.shot('hosts-file-mode')
    expect(await axeViolations(page)).toEqual([])
    expect(h.pageErrors).toEqual([])
  })
})
