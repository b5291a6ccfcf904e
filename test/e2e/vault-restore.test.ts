/**
 * A vault restored from a backup, in Chromium: the app refuses the older copy with words the operator can act on,
 * offers to open it only after a deliberate confirmation, opens it with the passphrase (the backup's keys are back),
 * and the audit log says so.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { createEngine } from '../../electron/engine/app/engine'
import { chromiumAvailable } from './browser'
import { startHarness, type Harness } from './harness'

const PASS = 'restore passphrase 789'
const PLATFORM = 'AbCdEfGh0123456789AbCdEfGh012345'
let h: Harness
let page: Page

describe.skipIf(!chromiumAvailable())('a vault restored from a backup', () => {
  beforeAll(async () => {
    // Yesterday's backup held the platform key; today's vault does not. The backup is put back over it.
    const dataDir = mkdtempSync(join(tmpdir(), 'e2e-restore-'))
    const engine = await createEngine({ dataDir, embeddedSandbox: false, weakKdfForTests: true })
    try {
      await engine.vault.create(PASS)
      engine.vault.setPlatformKey(PLATFORM, 'Backup key')
      copyFileSync(engine.paths.vault, join(dataDir, 'vault-backup.json'))
      engine.vault.removePlatformKey()
    } finally {
      await engine.close()
    }
    copyFileSync(join(dataDir, 'vault-backup.json'), join(dataDir, 'vault.json'))
    rmSync(join(dataDir, 'vault-backup.json'))
    h = await startHarness({ dataDir })
    page = h.page
  })
  afterAll(async () => {
    await h?.close()
  })

  it('is refused, then opened on purpose with the passphrase, and audited', async () => {
    await page.goto(h.running.host.url)
    await page.getByRole('heading', { name: 'Unlock CaptchaDesk', level: 1 }).waitFor()
    await page.getByLabel('Passphrase').fill(PASS)
    await page.getByRole('button', { name: 'Unlock' }).click()
    await expect
      .poll(() => page.getByRole('alert').first().textContent())
      .toContain('older than the one CaptchaDesk last wrote')
    const offer = page.getByTestId('older-copy')
    await offer.waitFor()
    await h.shot('32-unlock-older-copy')
    const open = offer.getByRole('button', { name: 'Open this older copy' })
    expect(await open.isDisabled()).toBe(true) // only after a deliberate confirmation
    await offer.getByLabel('I restored this vault from a backup on purpose').check()
    await open.click()
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor({ timeout: 15_000 })
    expect(h.running.engine.vault.hasKey('platform')).toBe(true) // the backup's key is back
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click()
    const table = page.getByRole('table')
    await expect
      .poll(() => table.textContent())
      .toContain('Opened an older copy of the vault (restored backup)')
    expect(h.pageErrors).toEqual([])
  })
})
