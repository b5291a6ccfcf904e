/** Engine + handlers + host in one call: used by `npm run serve`, by `npm start` without Electron, and by the e2e tests. */
import { mkdirSync } from 'node:fs'
import { openApplication, type Application } from '../app/application'
import { dataPaths } from '../app/data-paths'
import type { EngineOptions } from '../app/engine'
import { unlockUnattended } from '../app/unattended-unlock'
import { startHost, type Host } from './host-server'

export interface RunningHost {
  host: Host
  engine: Application['engine']
  gateway: Application['gateway']
  close(): Promise<void>
}

export async function runHost(
  options: EngineOptions & {
    rendererDir: string
    port?: number
    version?: string
    /** Unattended start: unlock with this passphrase (from a 0600 file), then resume serving if it is on. */
    passphrase?: string
  },
): Promise<RunningHost> {
  // Exports are written into the data folder and downloaded through the host (with the token).
  const exports = dataPaths(options.dataDir).exports
  const app = await openApplication({
    ...options,
    version: options.version ?? '0.1.0',
    async exportTarget() {
      mkdirSync(exports, { recursive: true, mode: 0o700 })
      return { dir: exports, urlFor: (file) => `/exports/${encodeURIComponent(file)}` }
    },
  })
  const { engine, gateway, handlers } = app
  try {
    if (options.passphrase !== undefined) {
      if (!engine.vault.exists())
        throw new Error('There is no vault in this data folder yet: create one in the console first.')
      const passphrase = options.passphrase
      await unlockUnattended(engine, gateway, 'passphrase file', async () => {
        await engine.vault.unlock(passphrase) // an older copy is never accepted unattended
      })
    }
    const host = await startHost({ engine, handlers, rendererDir: options.rendererDir, port: options.port })
    return {
      host,
      engine,
      gateway,
      // Serving first: in.php refused, res.php answered while solves finish (bounded), then the host, the engine.
      close: () => app.close(() => host.close()),
    }
  } catch (err) {
    await app.close() // the engine and its hold on the data folder with it (a caller may start again)
    throw err
  }
}
