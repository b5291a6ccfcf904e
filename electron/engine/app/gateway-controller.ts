/**
 * Serving: the tenant gateway's lifecycle, shared by Electron and the headless host. "Serving on" is a setting
 * (gateway.enabled) that the operator's Start/Stop sets; whenever it is on and the keys are available (an unlock by
 * passphrase, passphrase file or device, at launch or later) the gateway starts by itself. Locking the console does
 * not stop serving (the keys needed are held, see serving-keys.ts); Stop or quitting does: in.php is refused at
 * once (clients back off), res.php keeps answering while running solves finish (bounded by gateway.drainSeconds),
 * then the listener closes and the held keys are sealed. The status says plainly what is true.
 */
import type { GatewayKeys } from '../gateway'
import type { BanInfo, FailureCount } from '../gateway/bad-key-guard'
import { startGateway, type GatewayServer } from '../gateway/gateway-server'
import { hostsFileSettings } from '@shared/settings'
import { serverTlsFor } from '../tls/hosts-file-mode'
import type { Engine } from './engine'

export type ServingState = 'on' | 'off' | 'cannot_solve'

export interface GatewayStatus {
  running: boolean
  url: string | null
  port: number | null
  allowLan: boolean
  /** Serving is switched on (it resumes by itself whenever the keys are available). */
  enabled: boolean
  serving: ServingState
  /** Why it is off or cannot solve, in words for the operator (null when all is well). */
  reason: string | null
  /** Hosts-file mode's HTTPS listener, when on. */
  httpsUrl?: string | null
}

export interface GatewayController {
  readonly keys: GatewayKeys
  status(): GatewayStatus
  /** Operator's Start: switches serving on and starts the gateway now (the vault must be unlocked). */
  start(): Promise<GatewayStatus>
  /** Operator's Stop: switches serving off, drains, closes, seals the held keys. */
  stop(): Promise<GatewayStatus>
  /** Starts the gateway if serving is on and the keys are available (after an unlock, at launch). Never throws. */
  resume(): Promise<GatewayStatus>
  /** Quitting: drains and closes like stop() but leaves serving switched on, so the next launch resumes. */
  shutdown(): Promise<void>
  bans(): { bans: BanInfo[]; failures: FailureCount[] }
  liftBan(source: string): boolean
}

export function createGatewayController(engine: Engine): GatewayController {
  let server: GatewayServer | undefined
  let startError: string | null = null
  let busy: Promise<unknown> = Promise.resolve()
  /** One start/stop at a time (a resume racing an operator's Stop must not leave a listener behind). */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = busy.then(fn, fn)
    busy = next.catch(() => undefined)
    return next
  }

  const cannotSolve = (): string | null => {
    const keys = engine.servingKeys
    try {
      engine.providerProfile()
    } catch (err) {
      return (err as Error).message
    }
    const active = engine.tenants.list().filter((t) => t.status === 'active')
    if (active.length === 0) return 'no active tenants yet'
    if (!keys.active && !engine.vault.isUnlocked()) return 'the vault is locked: unlock it once to serve'
    const shared = active.some((t) => t.keyMode === 'shared')
    if (shared && !keys.has('platform')) return 'no platform key: tenants on the shared key cannot solve'
    const missing = active.filter((t) => t.keyMode === 'own' && !keys.has({ tenantId: t.id }))
    if (missing.length > 0)
      return `${missing.length === 1 ? `tenant "${missing[0]!.name}" has` : `${missing.length} tenants have`} no key of their own`
    return null
  }

  const status = (): GatewayStatus => {
    const g = engine.settings.get().gateway
    const base = {
      running: server !== undefined,
      url: server?.url ?? null,
      port: server?.port ?? null,
      allowLan: g.allowLan,
      enabled: g.enabled,
      httpsUrl: server?.httpsUrl ?? null,
    }
    if (!server) {
      const reason = !g.enabled
        ? 'serving is switched off'
        : (startError ??
          (engine.vault.isUnlocked() || engine.servingKeys.active
            ? 'starting…'
            : 'serving is on and starts once the vault is unlocked'))
      return { ...base, serving: 'off', reason }
    }
    const why = cannotSolve()
    return why ? { ...base, serving: 'cannot_solve', reason: why } : { ...base, serving: 'on', reason: null }
  }

  async function listen(): Promise<void> {
    if (server) return
    engine.servingKeys.hold()
    const g = engine.settings.get().gateway
    engine.gateway.setAccepting(true)
    const hf = hostsFileSettings(g)
    try {
      // Hosts-file mode: also HTTPS, with a certificate from the local CA for the providers' names and the operator's.
      const tls = hf.hostsFileMode
        ? { ...(await serverTlsFor(engine.paths.dir, hf.hostNames)), port: hf.httpsPort }
        : undefined
      server = await startGateway(engine.gateway, {
        host: g.allowLan ? '0.0.0.0' : '127.0.0.1',
        port: g.port,
        routes: (req, res) => engine.pingback.handle(req, res),
        tls,
      })
      startError = null
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { port?: number }
      startError =
        e.code === 'EADDRINUSE'
          ? `port ${e.port ?? g.port} is in use by another program; pick another port in Settings`
          : e.code === 'EACCES'
            ? `port ${e.port ?? g.port} needs privileges here (on Linux: sudo sysctl -w net.ipv4.ip_unprivileged_port_start=${e.port ?? g.port}); or pick a port above 1023 in Settings`
            : `the gateway could not start: ${e.message}`
      throw new Error(startError)
    }
  }

  /**
   * Refuses new in.php at once and keeps answering res.php until no solve is running or the drain time is up,
   * then closes the listener. Solves still running go on in the background (their answers reach the task store,
   * so the ids work when serving resumes); at process exit the engine leaves them open for the next start.
   */
  async function drainAndClose(): Promise<void> {
    if (!server) return
    const s = server
    engine.gateway.setAccepting(false)
    const deadline = Date.now() + engine.settings.get().gateway.drainSeconds * 1000
    while (engine.solver.inFlight() > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, deadline - Date.now()))))
    const inPhp = s.inPhpTimes()
    // The gateway's own share of a tenant's wait, apart from the network and the client (benchmarks read it).
    if (inPhp.n > 0) engine.log.info(inPhp, 'gateway: in.php from arrival to reply, in this process (ms)')
    await s.close()
    server = undefined
  }

  // Settings act at once: a new port or LAN choice moves a running gateway; switching serving on resumes it.
  const placeOf = (g: ReturnType<typeof engine.settings.get>['gateway']): string =>
    JSON.stringify([g.port, g.allowLan, hostsFileSettings(g)])
  let listenedOn = placeOf(engine.settings.get().gateway)
  let wasEnabled = engine.settings.get().gateway.enabled
  engine.settings.onChange((next) => {
    // Serving switched on or off in the Settings form acts now, like Start/Stop (both are idempotent).
    if (next.gateway.enabled !== wasEnabled) {
      wasEnabled = next.gateway.enabled
      if (next.gateway.enabled) {
        void serial(async () => {
          if (!server && (engine.vault.isUnlocked() || engine.servingKeys.active)) await listen()
        }).catch(() => undefined)
      } else {
        void serial(async () => {
          await drainAndClose()
          engine.servingKeys.seal()
        }).catch(() => undefined)
      }
    }
    const where = placeOf(next.gateway)
    if (where === listenedOn) return
    listenedOn = where
    if (!server) return
    void serial(async () => {
      await server?.close()
      server = undefined
      await listen()
    }).catch(() => undefined)
  })

  return {
    keys: engine.gatewayKeys,
    status,
    start: () =>
      serial(async () => {
        if (!engine.vault.isUnlocked() && !engine.servingKeys.active)
          throw new Error('Unlock the vault first: the gateway needs the upstream keys.')
        if (!engine.settings.get().gateway.enabled)
          engine.settings.update({ gateway: { ...engine.settings.get().gateway, enabled: true } })
        await listen()
        return status()
      }),
    stop: () =>
      serial(async () => {
        if (engine.settings.get().gateway.enabled)
          engine.settings.update({ gateway: { ...engine.settings.get().gateway, enabled: false } })
        await drainAndClose()
        engine.servingKeys.seal()
        startError = null
        return status()
      }),
    resume: () =>
      serial(async () => {
        if (server || !engine.settings.get().gateway.enabled) return status()
        if (!engine.vault.isUnlocked() && !engine.servingKeys.active) return status()
        try {
          await listen()
        } catch {
          // status() carries the reason
        }
        return status()
      }),
    shutdown: () =>
      serial(async () => {
        await drainAndClose()
        engine.servingKeys.seal()
      }),
    bans: () => ({ bans: engine.gateway.guard.list(), failures: engine.gateway.guard.failures() }),
    liftBan: (source) => engine.gateway.guard.lift(source),
  }
}
