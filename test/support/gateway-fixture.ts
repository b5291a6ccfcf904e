/** A gateway (core + v1 HTTP server) over an engine fixture, as the engine wires it. */
import type { Tenant } from '@shared/tenant'
import { BadKeyGuard, type BadKeyGuardOptions } from '../../electron/engine/gateway/bad-key-guard'
import { createGatewayCore } from '../../electron/engine/gateway/gateway-core'
import { createGatewayKeys } from '../../electron/engine/gateway/gateway-keys'
import { startGateway, type GatewayServerOptions } from '../../electron/engine/gateway/gateway-server'
import { SANDBOX_DEMO_KEY } from '../../electron/engine/sandbox'
import type { engineFixture } from './engine-fixture'

type Fx = Awaited<ReturnType<typeof engineFixture>>

export async function gatewayFor(
  fx: Fx,
  opts: { guard?: BadKeyGuardOptions; balance?: (t: Tenant) => number; server?: GatewayServerOptions } = {},
) {
  const keys = createGatewayKeys(fx.db)
  const guard = new BadKeyGuard(opts.guard)
  const core = createGatewayCore({
    keys,
    solver: fx.solver,
    tenants: fx.tenants,
    tasks: fx.gatewayTasks,
    guard,
    allowLoopbackPingbacks: true,
    balance:
      opts.balance ??
      ((t) => {
        const s = fx.admission.snapshot(t, Date.now())
        return t.limits.monthlyBudgetMicros !== undefined
          ? t.limits.monthlyBudgetMicros - s.month.spentMicros - s.month.reservedMicros
          : 0
      }),
    report: async (t, attemptId, verdict) => {
      const a = fx.ledger.get(attemptId)
      if (a?.upstreamTaskId) await fx.provider.report(SANDBOX_DEMO_KEY, a.upstreamTaskId, verdict)
    },
  })
  const server = await startGateway(core, opts.server)
  return { keys, guard, core, server, url: server.url }
}
