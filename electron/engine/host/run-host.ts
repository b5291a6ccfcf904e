/** Engine + handlers + host in one call: used by `npm run serve`, by `npm start` without Electron, and by the e2e tests. */
import { mkdirSync } from 'node:fs'
import { createEngine, type EngineOptions } from '../app/engine'
import { createGatewayController, type GatewayController } from '../app/gateway-controller'
import { createHandlers } from '../app/handlers'
import { startHost, type Host } from './host-server'

export interface RunningHost {
  host: Host
  engine: Awaited<ReturnType<typeof createEngine>>
  gateway: GatewayController
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
  const engine = await createEngine(options)
  const gateway = createGatewayController(engine)
  try {
    if (options.passphrase !== undefined) {
      if (!engine.vault.exists())
        throw new Error('There is no vault in this data folder yet: create one in the console first.')
      await engine.vault.unlock(options.passphrase)
      engine.audit.record({
        actor: 'system',
        action: 'vault.unlock',
        subjectType: 'vault',
        details: { by: 'passphrase file' },
      })
      await engine.afterUnlock()
      await gateway.resume()
    }
  } catch (err) {
    await engine.close(0)
    throw err
  }
  const handlers = createHandlers({
    engine,
    gateway,
    version: options.version ?? '0.1.0',
    async exportTarget() {
      mkdirSync(engine.paths.exports, { recursive: true, mode: 0o700 })
      return { dir: engine.paths.exports, urlFor: (file) => `/exports/${encodeURIComponent(file)}` }
    },
  })
  const host = await startHost({ engine, handlers, rendererDir: options.rendererDir, port: options.port })
  return {
    host,
    engine,
    gateway,
    async close() {
      // Serving first: in.php refused, res.php answered while solves finish (bounded), then everything else.
      await gateway.shutdown()
      await host.close()
      await engine.close(0)
    },
  }
}
