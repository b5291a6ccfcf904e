/**
 * Runs the headless host as built (`out/main/serve.js`, what `npm run serve` starts) as a child process, unattended
 * (passphrase file), and waits for its `Gateway: URL` line — the way an operator's systemd unit runs it. The caller
 * builds first (the integration project's global setup, or buildApp() in a bench).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createEngine } from '../../electron/engine/app/engine'
import { SANDBOX_DEMO_KEY } from '../../electron/engine/sandbox'
import { BUILT_HOST } from './built-app'

const ROOT = join(import.meta.dirname, '../..')

export interface HostProcess {
  child: ChildProcess
  gatewayUrl: string
  output(): string
  /** Sends a signal and waits for the process to end; resolves with its exit code or signal. */
  stop(signal: NodeJS.Signals): Promise<string>
}

export function writePassphraseFile(dir: string, passphrase: string): string {
  const file = join(dir, 'passphrase')
  writeFileSync(file, `${passphrase}\n`, { mode: 0o600 })
  chmodSync(file, 0o600)
  return file
}

export async function startHostProcess(
  dataDir: string,
  passphraseFile: string,
  extra: string[] = [],
  timeoutMs = 60_000,
): Promise<HostProcess> {
  const child = spawn(
    process.execPath,
    [
      BUILT_HOST,
      '--data-dir',
      dataDir,
      '--passphrase-file',
      passphraseFile,
      '--port',
      '0',
      '--no-open',
      ...extra,
    ],
    { cwd: ROOT, env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<string>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? String(code))),
  )
  const gatewayUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no Gateway line within ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    )
    const check = (): void => {
      const m = /Gateway: (http:\/\/\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    }
    child.stdout!.on('data', check)
    void exited.then((how) => {
      clearTimeout(timer)
      reject(new Error(`host exited (${how}) before serving:\n${out}`))
    })
  })
  return {
    child,
    gatewayUrl,
    output: () => out,
    async stop(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}

/**
 * A data folder ready to serve: a custom upstream (batched gets, no shared-thread cap), serving switched on (any
 * port), a vault with the Sandbox demo key as the platform key, and one tenant with a gateway key (returned).
 */
export async function prepareServedDataDir(
  dir: string,
  upstream: string,
  options: { passphrase: string; tenantName: string; drainSeconds?: number },
): Promise<string> {
  const engine = await createEngine({ dataDir: dir, embeddedSandbox: false })
  const gateway = engine.settings.get().gateway
  engine.settings.update({
    providerId: 'custom',
    baseUrl: upstream,
    supportsBatchGet: true,
    sharedThreads: null,
    gateway: {
      ...gateway,
      enabled: true,
      port: 0,
      drainSeconds: options.drainSeconds ?? gateway.drainSeconds,
    },
  })
  await engine.vault.create(options.passphrase)
  engine.vault.setPlatformKey(SANDBOX_DEMO_KEY, 'Sandbox')
  const t = engine.tenants.create({ name: options.tenantName }, 'test')
  const { key } = engine.gatewayKeys.issue(t.id, 0)
  await engine.close(0)
  return key
}
