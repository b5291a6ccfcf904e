/**
 * `npm start`: builds the app and opens the Electron window. Electron downloads its runtime on first launch; where
 * that cannot happen (no internet access), this says so plainly and serves the same console headless instead.
 */
import { execFileSync, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '../..')
const require = createRequire(import.meta.url)

console.log('Building CaptchaDesk (electron-vite build)…')
execFileSync(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
  cwd: root,
  stdio: 'inherit',
})

function serveHeadless(reason: string): void {
  console.log(`\nThe Electron runtime could not be started (${reason}).`)
  console.log('This happens on machines without internet access, where Electron cannot download itself.')
  console.log('Serving the same console headless instead — open the URL below in your browser.\n')
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'electron/cli/serve.ts'), '--no-build'],
    { cwd: root, stdio: 'inherit' },
  )
  child.on('exit', (code) => process.exit(code ?? 0))
}

let electronPath: string
try {
  electronPath = require('electron') as string // the binary's path; triggers Electron's own first-launch download
} catch (err) {
  serveHeadless((err as Error).message.split('\n')[0] ?? 'download failed')
  electronPath = ''
}
if (electronPath) {
  const app = spawn(electronPath, [root], { cwd: root, stdio: 'inherit' })
  app.on('error', (err) => serveHeadless(err.message))
  app.on('exit', (code, signal) => {
    if (code !== 0 && code !== null && signal === null) console.error(`Electron exited with code ${code}.`)
    process.exit(code ?? 0)
  })
}
