/**
 * Debian's Chromium through playwright-core (never a downloaded browser). In CI a missing browser is a failure;
 * elsewhere the e2e suites are skipped with a loud warning.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const SCREENS = join(import.meta.dirname, '../../test-artifacts/screens')
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1'

/** The flags that work here as root, without reaching outside hosts. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** True when the suites should run; false (with a warning) only outside CI when Chromium is missing. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true
  if (IN_CI) return true // let launchChromium fail loudly
  console.warn(
    `\n*** e2e SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium). CI fails instead. ***\n`,
  )
  return false
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium); .ci/run does it.`,
    )
  mkdirSync(SCREENS, { recursive: true })
  // playwright-core gives every launch a fresh, empty profile (user-data-dir) of its own and removes it on close.
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
}
