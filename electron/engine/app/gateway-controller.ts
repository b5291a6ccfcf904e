/** Starts and stops the tenant gateway for the console, from the settings (loopback unless LAN is allowed). */
import type { Micros } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import { createGatewayKeys, startGateway, type GatewayKeys, type GatewayServer } from '../gateway'
import type { Engine } from './engine'
import { localMonthBounds, localMonthOf } from '../time/zoned'

export interface GatewayController {
  readonly keys: GatewayKeys
  status(): { running: boolean; url: string | null; port: number | null; allowLan: boolean }
  start(): Promise<ReturnType<GatewayController['status']>>
  stop(): Promise<ReturnType<GatewayController['status']>>
}

export function createGatewayController(engine: Engine): GatewayController {
  const keys = createGatewayKeys(engine.db)
  let server: GatewayServer | undefined
  const allowance = (t: Tenant): Micros => {
    const now = Date.now()
    if (t.limits.monthlyBudgetMicros !== undefined) {
      const [a, b] = localMonthBounds(localMonthOf(now, t.timezone), t.timezone)
      const s = engine.ledger.spendForMonth(t.id, a, b)
      return t.limits.monthlyBudgetMicros - s.spentMicros - s.reservedMicros
    }
    return 1_000_000_000 // no budget set: report a large allowance (1,000.00)
  }
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
