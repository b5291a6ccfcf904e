/**
 * One engine per data folder: a second engine (in this process, or a second headless host) refuses to start and
 * names the one that holds the folder; the first goes on serving; once the holder is killed (SIGKILL: no clean-up)
 * a new engine starts on the folder without anyone removing a lock file.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine } from '../../../electron/engine/app/engine'
import { DataFolderInUseError } from '../../../electron/engine/app/data-folder-lock'
import { runHost } from '../../../electron/engine/host/run-host'
import { startSandbox, type Sandbox } from '../../../electron/engine/sandbox'
import { prepareServedDataDir, startHostProcess, writePassphraseFile } from '../../support/host-process'

const PASSPHRASE = 'correct horse battery staple'
let sandbox: Sandbox
const dirs: string[] = []
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'data-lock-'))
  dirs.push(d)
  return d
}
beforeAll(async () => {
  sandbox = await startSandbox({ speed: 100 })
})
afterAll(async () => {
  await sandbox.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('one engine per data folder', () => {
  it('in one process: the second engine is refused until the first has closed', async () => {
    const dir = tempDir()
    const first = await createEngine({ dataDir: dir, embeddedSandbox: false })
    const second = createEngine({ dataDir: dir, embeddedSandbox: false })
    await expect(second).rejects.toBeInstanceOf(DataFolderInUseError)
    await expect(second).rejects.toThrow(new RegExp(`data folder ${dir} \\(process ${process.pid}\\)`))
    await first.close(0)
    const again = await createEngine({ dataDir: dir, embeddedSandbox: false })
    await again.close(0)
  })

  it('a host that fails to start (its port taken) lets go of the folder: the next start is not refused', async () => {
    const dir = tempDir()
    const taken = createServer()
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()))
    const port = (taken.address() as AddressInfo).port
    try {
      await expect(
        runHost({ dataDir: dir, rendererDir: dir, port, embeddedSandbox: false }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' })
    } finally {
      taken.close()
    }
    const again = await createEngine({ dataDir: dir, embeddedSandbox: false })
    await again.close(0)
  })

  it('a second headless host exits naming the first, which goes on serving; after a kill -9 a new host starts', async () => {
    const dir = tempDir()
    const key = await prepareServedDataDir(dir, sandbox.url, {
      passphrase: PASSPHRASE,
      tenantName: 'Lock Co',
    })
    const passphraseFile = writePassphraseFile(dir, PASSPHRASE)
    const balance = async (url: string) =>
      (await fetch(`${url}/res.php?${new URLSearchParams({ key, action: 'getbalance' })}`)).text()
    const first = await startHostProcess(dir, passphraseFile)
    try {
      const refused = await startHostProcess(dir, passphraseFile).then(
        async (h) => {
          await h.stop('SIGTERM')
          return undefined
        },
        (err: Error) => err.message,
      )
      expect(refused).toMatch(/host exited \(1\) before serving/)
      expect(refused).toContain(
        `Another CaptchaDesk engine is running on the data folder ${dir} (process ${first.child.pid})`,
      )
      expect(await balance(first.gatewayUrl)).toMatch(/^OK\|/)
    } finally {
      await first.stop('SIGKILL')
    }
    const next = await startHostProcess(dir, passphraseFile)
    try {
      expect(await balance(next.gatewayUrl)).toMatch(/^OK\|/)
    } finally {
      await next.stop('SIGTERM')
    }
  })
})
