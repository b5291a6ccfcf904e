/** Engine + handlers + host in one call: used by `npm run serve`, by `npm start` without Electron, and by the e2e tests. */
import { mkdirSync } from 'node:fs'
import { createEngine, type EngineOptions } from '../app/engine'
import { createGatewayController } from '../app/gateway-controller'
import { createHandlers } from '../app/handlers'
import { startHost, type Host } from './host-server'

export interface RunningHost {
  host: Host
  engine: Awaited<ReturnType<typeof createEngine>>
  close(): Promise<void>
}

export async function runHost(
  options: EngineOptions & { rendererDir: string; port?: number; version?: string },
): Promise<RunningHost> {
  const engine = await createEngine(options)
  const gateway = createGatewayController(engine)
  const handlers = createHandlers({
    engine,
    gateway,
    version: options.version ?? '0.1.0',
    async exportTarget() {
      mkdirSync(engine.paths.exports, { recursive: true, mode: 0o700 })
      return { dir: engine.paths.exports, urlFor: (file) => `/exports/${encodeURIComponent(file)}` }
    },
  })
  if (engine.settings.get().gateway.enabled && engine.vault.isUnlocked()) await gateway.start()
  const host = await startHost({ engine, handlers, rendererDir: options.rendererDir, port: options.port })
  return {
    host,
    engine,
    async close() {
      await host.close()
      await gateway.stop()
      await engine.close()
    },
  }
}
