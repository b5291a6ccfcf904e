/** Starts and stops the tenant gateway for the console, from the settings (loopback unless LAN is allowed). */
import type { Micros } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import { createGatewayKeys, startGateway, type GatewayKeys, type GatewayServer } from '../gateway'
import type { Engine } from './engine'
import { tenantBalanceFor } from '../credit'

export interface GatewayController {
  readonly keys: GatewayKeys
  status(): { running: boolean; url: string | null; port: number | null; allowLan: boolean }
  start(): Promise<ReturnType<GatewayController['status']>>
  stop(): Promise<ReturnType<GatewayController['status']>>
}

export function createGatewayController(engine: Engine): GatewayController {
  const keys = createGatewayKeys(engine.db)
  let server: GatewayServer | undefined
  const allowance = (t: Tenant): Micros => tenantBalanceFor(engine, t, engine.now())
  const status = (): ReturnType<GatewayController['status']> => ({
    running: server !== undefined,
    url: server?.url ?? null,
    port: server?.port ?? null,
    allowLan: engine.settings.get().gateway.allowLan,
  })
  return {
    keys,
    status,
    async start() {
      if (server) return status()
      const g = engine.settings.get().gateway
      server = await startGateway(
        {
          keys,
          solver: engine.solver,
          tenants: engine.tenants,
          allowance,
          solveTimeoutMs: engine.settings.get().solveTimeoutSeconds * 1000,
          routes: (req, res) => engine.pingback.handle(req, res),
          report: async (t, taskId, verdict) => {
            const { key } = engine.vault.readKeyForSolve(t.id, t.keyMode)
            await engine.provider().report(key, taskId, verdict)
          },
        },
        { host: g.allowLan ? '0.0.0.0' : '127.0.0.1', port: g.port },
      )
      return status()
    },
    async stop() {
      await server?.close()
      server = undefined
      return status()
    },
  }
}
