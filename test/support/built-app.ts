/**
 * The app as `npm run serve` runs it: built by electron-vite, the headless host at out/main/serve.js under plain
 * Node. Tests and benches that start a host process build first (here, or the integration project's global setup).
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

const ROOT = join(import.meta.dirname, '../..')

export const BUILT_HOST = join(ROOT, 'out/main/serve.js')

/** Builds main, preload and renderer (a few seconds), as `npm run serve` and `npm start` do. */
export function buildApp(): void {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '--logLevel', 'warn'],
    { cwd: ROOT, stdio: 'inherit' },
  )
}
