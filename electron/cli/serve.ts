/**
 * `npm run serve [-- --port N --data-dir DIR --sandbox-speed X --no-open --passphrase-file FILE]`: the console and
 * engine on 127.0.0.1, no Electron. The npm script builds the app first (electron-vite, a few seconds) and runs this
 * file as built, `out/main/serve.js`, under plain Node: a process that is left running carries no TypeScript loader
 * (see electron.vite.config.ts). With no arguments: the Sandbox provider and a demo data folder, so a newcomer
 * sees a working console at once; the browser opens by itself when there is a terminal and a desktop (never in CI).
 * Unattended (a server, systemd): the passphrase comes from --passphrase-file, CAPTCHADESK_PASSPHRASE_FILE or
 * systemd's $CREDENTIALS_DIRECTORY/captchadesk-passphrase; the vault unlocks and serving resumes if it is on.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readPassphraseFile, passphraseFileFrom } from './passphrase-file'
import { join, resolve } from 'node:path'
import { DataFolderInUseError } from '../engine/app/data-folder-lock'
import { DEFAULT_DEMO_DIR } from '../engine/app/data-paths'
import { runHost } from '../engine/host/run-host'
import { parseCommandLine } from './command-line'

const root = resolve(import.meta.dirname, '../..')
const { values, fail } = parseCommandLine(
  'serve',
  'usage: npm run serve -- [--port N] [--data-dir DIR] [--sandbox-speed X] [--passphrase-file FILE] [--no-open]',
  {
    port: { type: 'string' },
    'data-dir': { type: 'string' },
    'sandbox-speed': { type: 'string' },
    // Accepted from older command lines, and ignored: building is the npm script's step now.
    'no-build': { type: 'boolean' },
    'no-open': { type: 'boolean' },
    'passphrase-file': { type: 'string' },
  },
)
const port = values.port === undefined ? 0 : Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be 0..65535')
const speed = values['sandbox-speed'] === undefined ? 10 : Number(values['sandbox-speed'])
if (!(speed > 0 && speed <= 100_000)) fail('--sandbox-speed must be a positive number')
const rendererDir = join(root, 'out/renderer')
if (!existsSync(join(rendererDir, 'index.html')))
  fail(
    'the console is not built (out/renderer is missing): start with `npm run serve`, which builds it first',
  )
const dataDir = resolve(values['data-dir'] ?? join(root, DEFAULT_DEMO_DIR))
let passphrase: string | undefined
const passphraseFile = passphraseFileFrom(values['passphrase-file'], process.env)
if (passphraseFile) {
  try {
    passphrase = readPassphraseFile(passphraseFile)
  } catch (err) {
    fail((err as Error).message)
  }
}
let running: Awaited<ReturnType<typeof runHost>>
try {
  running = await runHost({ dataDir, rendererDir, port, sandboxSpeed: speed, passphrase })
} catch (err) {
  const e = err as NodeJS.ErrnoException
  if (e.code === 'EADDRINUSE')
    fail(`port ${port} is in use; pick another with --port, or 0 for any free port`)
  const elsewhere = err instanceof DataFolderInUseError ? ' (or start this one with another --data-dir)' : ''
  console.error(`serve: the engine could not start in ${dataDir}: ${e.message}${elsewhere}`)
  process.exit(1)
}
console.log(`CaptchaDesk console (headless) — data in ${dataDir}`)
console.log(
  `Provider: ${running.engine.settings.get().providerId}${running.engine.sandbox ? ` (Sandbox at ${running.engine.sandbox.url}, ×${speed})` : ''}`,
)
console.log(`\n  Open: ${running.host.url}\n`)
const serving = running.gateway.status()
if (serving.running) console.log(`Gateway: ${serving.url}`)
else if (passphrase !== undefined)
  console.log(`Gateway: off (${serving.reason ?? 'serving is switched off'})`)
if (shouldOpenBrowser(values['no-open'] === true)) openBrowser(running.host.url)

function shouldOpenBrowser(refused: boolean): boolean {
  if (refused || process.env.CI || !process.stdout.isTTY) return false
  if (process.platform === 'linux') return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY)
  return process.platform === 'darwin' || process.platform === 'win32'
}

/** Best effort: if no browser opens, the printed URL is still there. */
function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
        : ['xdg-open', [url]]
  try {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true })
    child.on('error', () => undefined)
    child.unref()
  } catch {
    // no opener on this machine
  }
}

// SIGTERM/SIGINT: stop taking new tasks, keep answering results while running solves finish (bounded by the
// drain setting), leave the rest open for the next start, then exit. A second signal exits at once.
let stopping = false
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) {
    console.error(`serve: ${signal} again; exiting at once (open solves are settled at the next start)`)
    process.exit(1)
  }
  stopping = true
  console.log('Stopping: new tasks are refused; results are answered while running solves finish…')
  void running.close().then(
    () => {
      console.log('Stopped.')
      process.exit(0)
    },
    (err: unknown) => {
      console.error(`serve: stopping failed: ${(err as Error).message}`)
      process.exit(1)
    },
  )
}
// conf's atomic writer (when-exit) hooks these signals to re-send them to the process after its cleanup, which
// would end a graceful stop at once; its cleanup also runs on 'exit', which a graceful stop reaches.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.removeAllListeners(signal)
  process.on(signal, stop)
}
