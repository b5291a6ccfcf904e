/**
 * The composition root: one engine per data folder, used by the Electron shell and by the headless host alike.
 * It wires settings, vault, tenants, ledger, admission, provider (the embedded Sandbox by default), solve service,
 * billing, alerts, balances and the gateway, and emits the events the console listens to.
 */
import { EventEmitter } from 'node:events'
import { mkdirSync } from 'node:fs'
import { PROVIDER_PRESETS, type ProviderProfile } from '@shared/provider'
import type { Settings } from '@shared/settings'
import { createAdmissionController, ledgerUsageLoader } from '../admission'
import { createAlertAcks, type AlertAcks } from '../alerts/alert-acks'
import {
  createAlertEngine,
  ledgerUsageSource,
  type AlertEngine,
  type AlertEvent,
} from '../alerts/alert-engine'
import { createWebhook, type Webhook } from '../alerts/webhook'
import { openAuditLog, type AuditLog } from '../audit/audit-log'
import { createBalanceChecker, type BalanceChecker } from '../balances/balance-checker'
import { createGatewayKeys, openGatewayTasks, type GatewayCore, type GatewayKeys } from '../gateway'
import {
  liveInvoiceSettings,
  openBilling,
  startLockTimer,
  type Invoice,
  type InvoiceBuilder,
  type Timers,
} from '../billing'
import { removeStalePartials } from '../billing/stale-partials'
import {
  connectCredit,
  openCreditBook,
  tenantBalanceFor,
  withPrepaidCredit,
  type CreditBook,
} from '../credit'
import { startCheckpointer } from '../db/checkpointer'
import { openDatabase, openSolvePathDatabase, type Database } from '../db/database'
import { openWalDurability } from '../db/wal-durability'
import { GroupCommitter } from '../db/group-commit'
import { openSqliteLedger } from '../ledger/sqlite-ledger'
import type { Ledger } from '../ledger/types'
import {
  createProviderClient,
  keepSolveTimes,
  openLearnedSolveTimes,
  upstreamOf,
  type ProviderClient,
} from '../provider'
import { createPingbackRoute, type PingbackRoute } from '../provider/pingback-receiver'
import { openRefusalCounters, type RefusalCounters } from '../refusals/refusal-counters'
import { keyFingerprint, SANDBOX_DEMO_KEY, startSandbox, type Sandbox } from '../sandbox'
import { createSettingsStore, type SettingsStore } from '../settings/settings-store'
import { createPricing, createSolveService, type SolveProgress, type SolveService } from '../solve'
import { createTenantRegistry, type TenantRegistry } from '../tenants/registry'
import { createFileLogger, type Logger } from '../log/logger'
import { createUsageQueries, type UsageQueries } from '../usage/usage-queries'
import { ServingKeys } from '../serving/serving-keys'
import { KeyVault, type DeviceKeyProtector } from '../vault'
import { databaseVaultAnchor } from '../vault/db-anchor'
import { keystoreVaultAnchor } from '../vault/keystore-anchor'
import { dataPaths, type DataPaths } from './data-paths'
import { lockDataFolder, type DataFolderLock } from './data-folder-lock'
import { composeGateway } from './gateway-composition'
import { invoiceLockEvents } from './invoice-lock-events'

/** How often the provider's learned solve times are saved while the engine runs (also at close). */
const LEARNED_SAVE_MS = 5 * 60_000

export interface EngineEvents {
  'solve.progress': SolveProgress
  'alert.raised': AlertEvent['alert']
  'alert.resolved': AlertEvent['alert']
  'vault.locked': { reason: string }
  'export.progress': { jobId: string; rows: number; done: boolean }
  'invoice.locked': Invoice
}

export interface EngineOptions {
  dataDir: string
  /** Start the Sandbox in-process (the default provider). */
  embeddedSandbox?: boolean
  /** Sandbox speed factor (demo: 10 so a reCAPTCHA v2 takes a few seconds). */
  sandboxSpeed?: number
  settingsOverrides?: Partial<Settings>
  device?: DeviceKeyProtector
  /** Tests only: a cheap KDF. */
  weakKdfForTests?: boolean
  now?: () => number
  /** Where log lines go; default: a rotating file in the data folder's logs/ (and the console in development). */
  logger?: Logger
  /** Tests only: timers for the invoice lock timer (with a fake clock in `now`). */
  timers?: Timers
  /** How often the provider's learned solve times are saved while the engine runs (default 5 minutes). */
  learnedSaveMs?: number
}

export interface Engine {
  readonly paths: DataPaths
  /** The engine's clock (injected in tests); every component and use case reads time through it. */
  readonly now: () => number
  readonly settings: SettingsStore
  readonly log: Logger
  readonly vault: KeyVault
  readonly db: Database
  readonly ledger: Ledger
  readonly audit: AuditLog
  readonly tenants: TenantRegistry
  readonly usage: UsageQueries
  readonly solver: SolveService
  readonly billing: InvoiceBuilder
  /** Locks every invoice whose grace period has ended (audited and announced, as the lock timer does). */
  lockDue(): Invoice[]
  readonly credit: CreditBook
  readonly webhook: Webhook
  readonly alerts: AlertEngine
  readonly alertAcks: AlertAcks
  readonly balances: BalanceChecker
  readonly sandbox: Sandbox | undefined
  readonly admission: ReturnType<typeof createAdmissionController>
  readonly refusals: RefusalCounters
  /** The upstream keys held for serving while the console is locked (see serving-keys.ts). */
  readonly servingKeys: ServingKeys
  readonly gatewayKeys: GatewayKeys
  /** What every tenant-facing protocol shares: keys, bans, the persistent task store, submit/result. */
  readonly gateway: GatewayCore
  provider(): ProviderClient
  /** The pingback route (mounted by the gateway server) and the callback URL solves send upstream. */
  readonly pingback: PingbackRoute
  providerProfile(): ProviderProfile
  on<K extends keyof EngineEvents>(event: K, listener: (payload: EngineEvents[K]) => void): () => void
  emit<K extends keyof EngineEvents>(event: K, payload: EngineEvents[K]): void
  /** After the vault opens: seed the Sandbox key, settle attempts an earlier process left open (once). */
  afterUnlock(): Promise<void>
  /** Settles (in the background) what an earlier process left open; the first call starts it, later ones await it. */
  recovery(): Promise<unknown>
  /** Lets running solves finish for up to `graceMs` (default 30 s; the rest stay open for the next start), closes. */
  close(graceMs?: number): Promise<void>
}

export async function createEngine(options: EngineOptions): Promise<Engine> {
  const paths = dataPaths(options.dataDir)
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 })
  // Before anything else in the folder is read or written (./data-folder-lock.ts).
  const lock = lockDataFolder(paths.dir)
  try {
    return await openEngine(options, paths, lock)
  } catch (err) {
    lock.release()
    throw err
  }
}

async function openEngine(options: EngineOptions, paths: DataPaths, lock: DataFolderLock): Promise<Engine> {
  const now = options.now ?? Date.now
  const settings = createSettingsStore(paths.dir, options.settingsOverrides, now)
  removeStalePartials(paths.exports) // a killed export's temporary files
  const logFile = options.logger ? undefined : await createFileLogger({ dataDir: paths.dir })
  const log = options.logger ?? logFile!.log
  /** The shape the solve path and the gateway log through. */
  const report = (level: 'warn' | 'error', message: string, details: Record<string, unknown>): void =>
    log[level](details, message)
  const events = new EventEmitter()
  events.setMaxListeners(100)
  const emit = <K extends keyof EngineEvents>(event: K, payload: EngineEvents[K]): void =>
    void events.emit(event, payload)

  const sandboxSpeed = options.sandboxSpeed ?? 10
  const sandbox =
    options.embeddedSandbox === false
      ? undefined
      : await startSandbox({
          speed: sandboxSpeed,
          seed: now() & 0xffff,
          keys: [{ key: SANDBOX_DEMO_KEY, threads: 50 }],
        })
  const db = openDatabase(paths.database)
  const keystoreAnchor = keystoreVaultAnchor(paths.vault, options.device)
  const vault = KeyVault.open(paths.vault, {
    now,
    idleLockMs: settings.get().autoLockMinutes * 60_000 || undefined,
    device: options.device,
    anchors: [databaseVaultAnchor(db), ...(keystoreAnchor ? [keystoreAnchor] : [])],
    ...(options.weakKdfForTests ? { kdf: { N: 2 ** 10, r: 8, p: 1 }, allowWeakKdfForTests: true } : {}),
  })
  vault.onLock((reason) => emit('vault.locked', { reason }))

  const audit = openAuditLog(db, now)
  // Every lock goes into the audit log with why (operator, idle, suspend…); closing the app is not worth a line.
  vault.onLock((reason) => {
    if (reason !== 'shutdown')
      audit.record({
        actor: reason === 'operator' ? 'operator' : 'system',
        action: 'vault.lock',
        subjectType: 'vault',
        details: { reason },
      })
  })
  for (const note of settings.loadNotes)
    audit.record({ actor: 'system', action: 'settings.load', subjectType: 'settings', details: { note } })
  // Durability off the event loop: commits write the WAL, fsyncs run on the thread pool, checkpoints on a worker
  // (db/wal-durability.ts, db/checkpointer.ts). The ledger and the gateway's task store share the solve path's
  // connection (db/database.ts).
  const wal = openWalDurability(paths.database)
  const solveDb = openSolvePathDatabase(paths.database)
  // One group commit for both: the upstream's task id and the tenant's task row commit in one transaction, and the
  // answers that end in one turn of the event loop share one, then their settlements the next.
  const commits = new GroupCommitter(solveDb, wal)
  const ledger = openSqliteLedger(solveDb, {
    now,
    commits,
    // Why a first start after an update can take longer (rebuilding an index: about 1.6 s per million solves).
    onMigrated: (version, ms) => log.info({ version, ms: Math.round(ms) }, 'ledger: schema updated'),
  })
  const refusals = openRefusalCounters(db, { now })
  const gatewayTasks = openGatewayTasks(solveDb, {
    now,
    commits,
    retentionMs: () => settings.get().gateway.resultRetentionMinutes * 60_000,
  })
  const checkpointer = startCheckpointer(paths.database, [db, solveDb], {
    onReport: (r) => {
      if (!r.ok) log.warn({ error: r.error }, 'database: a checkpoint failed (it is retried)')
    },
  })
  const gatewayKeys = createGatewayKeys(db, now)
  const credit = openCreditBook(db, { ledger, now, audit })
  const billing = openBilling(db, ledger, { now, credit, ...liveInvoiceSettings(settings) })
  const tenants = createTenantRegistry({
    dataDir: paths.dir,
    now,
    audit,
    defaultPricePlan: () => {
      const bps = settings.get().defaultMarkupBps
      return bps === null ? undefined : { kind: 'markup', markupBps: bps }
    },
  })
  const usage = createUsageQueries(ledger, tenants, refusals)
  const alerts = createAlertEngine(db, now, { tenants, usage: ledgerUsageSource(ledger) })
  // A tenant's limits or thresholds changed: its alerts follow at once (raised, or resolved when no longer true).
  tenants.onChange((t) => {
    try {
      alerts.evaluate(now(), t.id)
    } catch (err) {
      log.error({ err, tenantId: t.id }, 'alerts: evaluating a changed tenant failed') // the change itself stands
    }
  })
  const alertAcks = createAlertAcks(db, alerts, now)
  alerts.onAlert((e) => emit(e.type === 'raised' ? 'alert.raised' : 'alert.resolved', e.alert))
  connectCredit({ credit, tenants, alerts, now })
  const webhook = createWebhook(db, {
    url: () => settings.get().alertWebhook.url,
    now,
    onResult: (r) => {
      if (!r.ok)
        log.warn({ event: r.event.type, attempts: r.attempts, error: r.error }, 'webhook delivery failed')
    },
  })
  webhook.resendPending() // what an earlier run was still retrying when it stopped
  alerts.onAlert((e) =>
    webhook.send(
      e.type === 'raised' && e.alert.kind === 'low_credit' ? 'credit.low' : `alert.${e.type}`,
      e.alert,
    ),
  )
  const lockTimer = startLockTimer({
    billing,
    tenants: () => tenants.list({ includeDeleted: true }),
    now,
    timers: options.timers,
    ...invoiceLockEvents({ audit, webhook, emit }),
  })
  settings.onChange(() => lockTimer.reschedule())
  tenants.onChange(() => lockTimer.reschedule())

  const profileOf = (s: Settings): ProviderProfile => {
    if (s.providerId === 'sandbox') {
      if (!sandbox)
        throw new Error('The Sandbox is not running in this process; pick a real provider in Settings.')
      return { ...PROVIDER_PRESETS.sandbox, baseUrl: sandbox.url }
    }
    if (s.providerId === 'custom')
      return {
        id: 'custom',
        label: 'Custom',
        baseUrl: s.baseUrl,
        supportsBatchGet: s.supportsBatchGet,
        zeroBalanceMeansNoThreads: true,
        billing: 'threads',
      }
    return { ...PROVIDER_PRESETS[s.providerId], ...(s.baseUrl ? { baseUrl: s.baseUrl } : {}) }
  }
  const plog = log.child({ component: 'provider' })
  const providerLog = {
    debug: (message: string, details?: Record<string, unknown>) => plog.debug(details ?? {}, message),
    info: (message: string, details?: Record<string, unknown>) => plog.info(details ?? {}, message),
    warn: (message: string, details?: Record<string, unknown>) => plog.warn(details ?? {}, message),
    error: (message: string, details?: Record<string, unknown>) => plog.error(details ?? {}, message),
  }
  let client: ProviderClient | undefined
  let clientKey = ''
  // What clients learn about solve times outlives them and restarts (provider/learned-solve-times.ts).
  const solveTimes = keepSolveTimes(openLearnedSolveTimes(solveDb, { commits, now }), (message, err) =>
    log.warn({ error: (err as Error).message }, message),
  )
  const provider = (): ProviderClient => {
    const s = settings.get()
    const key = `${s.providerId}|${s.baseUrl}|${s.supportsBatchGet}|${s.requestTimeoutSeconds}|${s.pollAdvice}`
    if (!client || key !== clientKey) {
      const old = client
      const profile = profileOf(s)
      const upstream = upstreamOf(s.providerId, profile.baseUrl)
      solveTimes.save(old)
      client = createProviderClient({
        profile,
        speed: s.providerId === 'sandbox' ? sandboxSpeed : 1,
        requestTimeoutMs: s.requestTimeoutSeconds * 1000,
        pollAdvice: s.pollAdvice ?? 'follow',
        logger: providerLog,
        solveTimes: solveTimes.startFrom(upstream, old),
      })
      solveTimes.track(client, upstream)
      clientKey = key
      // Solves still running on the old client finish on it; it closes when the engine does.
      if (old) retired.push(old)
    }
    return client
  }
  const retired: ProviderClient[] = []
  // Saved every few minutes as well as at close, so a kill loses only what was learned since.
  const saveEvery = options.learnedSaveMs
  const learnedTimer = setInterval(
    () => solveTimes.save(client),
    saveEvery !== undefined && Number.isFinite(saveEvery) && saveEvery >= 10 ? saveEvery : LEARNED_SAVE_MS,
  )
  learnedTimer.unref()

  const admission = withPrepaidCredit(
    createAdmissionController({
      sharedThreads: settings.get().sharedThreads ?? undefined,
      loader: ledgerUsageLoader(ledger),
    }),
    credit,
  )
  settings.onChange((s) => {
    admission.setSharedCapacity(s.sharedThreads ?? undefined)
    vault.setIdleLock(s.autoLockMinutes * 60_000 || undefined)
  })

  const servingKeys = new ServingKeys(vault, () => settings.get().providerId)
  // Pingback (provider/pingback-receiver.ts): with a public callback URL set, every solve asks the upstream to call
  // back; the gateway server mounts the route. A callback for a task of a retired client still reaches it.
  const pingback = createPingbackRoute({
    publicUrl: () => settings.get().publicCallbackUrl ?? '',
    accept: (id, code) =>
      provider().acceptPingback(id, code) || retired.some((c) => c.acceptPingback(id, code)),
  })
  const lazyProvider = new Proxy({} as ProviderClient, {
    get: (_t, prop) =>
      prop === 'solve'
        ? (((apiKey, req, opts = {}) =>
            provider().solve(apiKey, req, {
              ...opts,
              pingbackUrl: opts.pingbackUrl ?? pingback.callbackUrl(),
            })) satisfies ProviderClient['solve'])
        : Reflect.get(provider(), prop),
  })
  const solver = createSolveService({
    tenants,
    ledger,
    admission,
    keys: servingKeys.resolver(),
    provider: lazyProvider,
    pricing: createPricing(() => settings.get().costPrices),
    now,
    refusals,
    results: gatewayTasks,
    log: report,
    onSettled: (tenantId) => {
      const t = tenants.get(tenantId)
      if (!t) return
      // The admission state already holds the tenant's day and month (loaded from the ledger once): no query per solve.
      const snap = admission.snapshot(t, now())
      alerts.evaluateTenant({
        tenant: t,
        day: snap.today.date,
        dayCount: snap.today.counted,
        month: snap.month.month,
        monthSpendMicros: snap.month.spentMicros,
      })
    },
  })

  const { core: gateway, close: closeGateway } = composeGateway({
    keys: gatewayKeys,
    tasks: gatewayTasks,
    solver,
    tenants,
    audit,
    now,
    log: report,
    solveTimeoutMs: () => settings.get().solveTimeoutSeconds * 1000,
    // Prepaid credit left, or the month's budget left, or what the operator chose in Settings — never invented.
    balance: (t) => tenantBalanceFor({ credit, admission, settings }, t, now()),
    report: async (t, attemptId, verdict) => {
      const a = ledger.get(attemptId)
      if (!a?.upstreamTaskId) return
      const { key } = servingKeys.read(t.id, t.keyMode)
      await provider().report(key, a.upstreamTaskId, verdict)
    },
  })

  const balances = createBalanceChecker({
    db,
    provider,
    alerts,
    now,
    lowBalanceMicros: () => settings.get().lowBalanceMicros,
    keys: {
      accounts: () => {
        if (!vault.isUnlocked()) return []
        const out: Array<{ account: string; label: string; apiKey: string }> = []
        const pid = settings.get().providerId
        for (const info of vault.describe()) {
          const tenant = info.tenantId ? tenants.get(info.tenantId) : undefined
          if (info.scope === 'tenant' && !tenant) continue
          // Scheduled checks are not operator activity: touch: false.
          const { key, fingerprint } =
            info.scope === 'platform'
              ? vault.readPlatformKey({ touch: false })
              : vault.readKeyForSolve(info.tenantId!, 'own', { touch: false })
          out.push({
            account: `${pid}:${fingerprint}`,
            label:
              info.scope === 'platform' ? `Platform key (${info.label})` : `${tenant!.name} (${info.label})`,
            apiKey: key,
          })
        }
        return out
      },
    },
  })

  let recovering: Promise<unknown> | undefined
  const recovery = (): Promise<unknown> => {
    // Only what a previous process left open: later unlocks must not touch solves running now.
    recovering ??= solver.recoverOpenAttempts().catch((err: unknown) => {
      report('error', 'recovery failed; open attempts are retried at the next start', {
        error: (err as Error).message,
      })
    })
    return recovering
  }

  return {
    paths,
    now,
    settings,
    log,
    vault,
    db,
    ledger,
    audit,
    tenants,
    usage,
    solver,
    billing,
    lockDue: () => lockTimer.runNow(),
    credit,
    webhook,
    alerts,
    alertAcks,
    balances,
    sandbox,
    admission,
    refusals,
    servingKeys,
    gatewayKeys,
    gateway,
    provider,
    pingback,
    providerProfile: () => provider().profile,
    on(event, listener) {
      events.on(event, listener as (p: unknown) => void)
      return () => events.off(event, listener as (p: unknown) => void)
    },
    emit,
    async afterUnlock() {
      // Periods that ended while the app was closed resolve their alerts; limits changed offline take effect.
      alerts.evaluate()
      if (settings.get().providerId === 'sandbox' && !vault.hasKey('platform')) {
        vault.setPlatformKey(SANDBOX_DEMO_KEY, 'Sandbox demo key')
        audit.record({
          actor: 'system',
          action: 'vault.setPlatformKey',
          subjectType: 'vault',
          details: { label: 'Sandbox demo key', fingerprint: keyFingerprint(SANDBOX_DEMO_KEY) },
        })
      }
      // Ids a tenant holds from before a restart answer "not ready" until recovery has settled them; the gateway
      // can serve meanwhile (the caller decides whether to await recovery()).
      void recovery()
      balances.start(settings.get().balanceCheckMinutes * 60_000)
    },
    recovery,
    async close(graceMs = 30_000) {
      lockTimer.stop()
      clearInterval(learnedTimer)
      await webhook.close()
      balances.stop()
      closeGateway()
      await solver.shutdown(graceMs)
      await recovering
      // What every client learned, the current one last (a retired client of the same upstream learned less); queued
      // on the solve path's group commit, which the ledger's close below drains.
      for (const c of [...retired, client]) solveTimes.save(c)
      servingKeys.seal()
      vault.lock('shutdown')
      await client?.close()
      for (const c of retired) await c.close()
      await sandbox?.close()
      await ledger.close()
      refusals.close()
      await checkpointer.close()
      await wal.close()
      // What a power cut could have lost while this process ran (README, "What a power cut can lose").
      const power = wal.exposure()
      log.info(
        { fsyncs: power.syncs, p50Ms: power.p50Ms, p99Ms: power.p99Ms, maxMs: power.maxMs },
        'database: how long kill-safe writes waited for the disk',
      )
      solveDb.close()
      db.close()
      logFile?.close()
      lock.release()
    },
  }
}
