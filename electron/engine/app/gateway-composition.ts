/**
 * The gateway's share of the composition root: the bad-key guard (bans audited), the protocol-neutral core, and the
 * sweep of old answers. Its task store is opened on the solve path's connection, beside the ledger (engine.ts).
 */
import type { Micros } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import type { AuditLog } from '../audit/audit-log'
import { BadKeyGuard, createGatewayCore, type GatewayCore, type GatewayKeys } from '../gateway'
import type { GatewayTaskStore } from '../gateway/gateway-tasks'
import type { SolveService } from '../solve'

export interface GatewayCompositionDeps {
  keys: GatewayKeys
  tasks: GatewayTaskStore
  solver: SolveService
  tenants: { get(id: string): Tenant | undefined }
  audit: AuditLog
  now: () => number
  log: (level: 'warn' | 'error', message: string, details: Record<string, unknown>) => void
  solveTimeoutMs: () => number
  balance: (tenant: Tenant) => Micros
  report: (tenant: Tenant, attemptId: string, verdict: 'good' | 'bad') => Promise<void>
}

export function composeGateway(deps: GatewayCompositionDeps): { core: GatewayCore; close(): void } {
  const guard = new BadKeyGuard({
    now: deps.now,
    onBan: (ban) =>
      deps.audit.record({
        actor: 'system',
        action: 'gateway.ban',
        subjectType: 'gateway',
        subjectId: ban.source,
        details: {
          failures: ban.failures,
          distinctKeys: ban.distinctKeys,
          until: new Date(ban.until).toISOString(),
        },
      }),
  })
  const core = createGatewayCore({ ...deps, guard })
  const sweeper = startSweeper(deps)
  return { core, close: () => sweeper.stop() }
}

/** Rows deleted per turn of the event loop: about 3 ms of work, so a sweep never holds requests up for long. */
const SWEEP_CHUNK_ROWS = 500

/**
 * Forgets old answers every 10 seconds, a chunk at a time with the event loop free between chunks (at 1,000 solves/s
 * a sweep has about 10,000 rows to delete).
 */
export function startSweeper(deps: Pick<GatewayCompositionDeps, 'tasks' | 'now' | 'log'>): { stop(): void } {
  let stopped = false
  let sweeping = false
  /** The last failure logged: a failure that repeats every 10 s is logged once, until a sweep succeeds. */
  let failing: string | undefined
  const chunk = (): void => {
    if (stopped) return
    try {
      const full = deps.tasks.sweep(deps.now(), SWEEP_CHUNK_ROWS) === SWEEP_CHUNK_ROWS
      failing = undefined
      if (full) {
        setImmediate(chunk)
        return
      }
    } catch (err) {
      const error = (err as Error).message
      if (error !== failing) deps.log('warn', 'gateway: sweeping old answers failed', { error })
      failing = error
    }
    sweeping = false
  }
  const timer = setInterval(() => {
    if (sweeping) return
    sweeping = true
    chunk()
  }, 10_000)
  timer.unref()
  return {
    stop() {
      stopped = true
      clearInterval(timer)
    },
  }
}
