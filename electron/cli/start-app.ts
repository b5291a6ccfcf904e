/**
 * `npm start`: builds the app and opens the Electron window. Electron downloads its runtime on first launch; where
 * that cannot happen (no internet access), this says so plainly and serves the same console headless instead.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '../..')

console.log('Building CaptchaDesk (electron-vite build)…')
execFileSync(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
  cwd: root,
  stdio: 'inherit',
})

function serveHeadless(reason: string, downloadFailed = false): void {
  if (downloadFailed) {
    console.log(`\nThe Electron runtime could not be downloaded (no internet access?) — ${reason}.`)
  } else {
    console.log(`\nThe Electron window cannot open here (${reason}).`)
  }
  console.log('Serving the console headless instead — open the URL below in your browser.\n')
  const child = spawn(
    process.execPath,
    [join(root, 'out/main/serve.js')], // built just now, as `npm run serve` runs it
    { cwd: root, stdio: 'inherit' },
  )
  child.on('exit', (code) => process.exit(code ?? 0))
  forwardStopSignals(child)
}

/** A stop request to the launcher stops what it launched (the child then exits and so do we). */
function forwardStopSignals(child: ChildProcess): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal)
    })
}

/** Why a window cannot open here at all (so we neither download nor hang), or null. (CI with xvfb has a DISPLAY.) */
function noWindowReason(): string | null {
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY)
    return 'no graphical display (DISPLAY / WAYLAND_DISPLAY unset)'
  return null
}

const noWindow = noWindowReason()
if (noWindow) {
  serveHeadless(noWindow)
} else {
  launchElectron()
}

function launchElectron(): void {
  // Ask the electron package for its binary in a child process: that triggers Electron's own first-launch download
  // and keeps this launcher free of any electron import (it runs in plain Node).
  const electronEntry = join(root, 'node_modules', 'electron', 'index.js')
  const probe = spawnSync(
    process.execPath,
    ['-e', 'process.stdout.write(require(process.argv[1]))', electronEntry],
    {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 5 * 60_000, // a slow first download; a machine without internet fails in seconds
    },
  )
  // The package may print download progress first; the path is the last line.
  const electronPath = probe.status === 0 ? (probe.stdout.trim().split('\n').pop() ?? '') : ''
  if (!electronPath || !existsSync(electronPath)) {
    serveHeadless(probe.error ? probe.error.message : 'its download failed', true)
  } else {
    const app = spawn(electronPath, [root], { cwd: root, stdio: 'inherit' })
    forwardStopSignals(app)
    app.on('error', (err) => serveHeadless(err.message))
    app.on('exit', (code, signal) => {
      if (code !== 0 && code !== null && signal === null) console.error(`Electron exited with code ${code}.`)
      process.exit(code ?? 0)
    })
  }
}
