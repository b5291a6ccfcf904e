/**
 * The implementation of every IPC contract channel, shared by Electron's ipcMain and the headless host's HTTP
 * bridge so the two can never drift. Inputs arrive already validated against the contract.
 */
import { randomUUID } from 'node:crypto'
import type { CaptchaRequest } from '@shared/captcha'
import type { Channel, OutputOf, ParsedInputOf } from '@shared/ipc-contract'
import { createInvoiceMarks, listInvoices } from '../billing'
import { tenantBalanceFor } from '../credit'
import { ConflictError, NotFoundError } from '../errors/engine-errors'
import { VaultDamagedError, VaultRollbackError } from '../vault'
import { dashboardTenantRows } from '../usage/dashboard'
import type { Engine } from './engine'
import { consoleHandlers, unlockFailure } from './console-handlers'
import type { GatewayController } from './gateway-controller'
import { caCertificateReply } from '../tls/hosts-file-mode'
import { exportInvoices } from './use-cases/export-invoices'

export type Handlers = { [C in Channel]: (input: ParsedInputOf<C>) => Promise<OutputOf<C>> }

export interface HandlerContext {
  engine: Engine
  gateway: GatewayController
  version: string
  /** Where an export should go: Electron asks with a save dialog; the host writes into the data folder. */
  exportTarget(suggestedName: string): Promise<{ dir: string; urlFor?: (file: string) => string } | null>
}

export function createHandlers(ctx: HandlerContext): Handlers {
  const { engine } = ctx
  const vaultStatus = () => ({
    exists: engine.vault.exists(),
    unlocked: engine.vault.isUnlocked(),
    deviceUnlock: engine.vault.deviceUnlockEnabled(),
    kdf: engine.vault.kdfParams() ? `scrypt N=2^${Math.log2(engine.vault.kdfParams()!.N)}` : null,
  })
  const tenantOrThrow = (id: string) => {
    const t = engine.tenants.get(id)
    if (!t) throw new NotFoundError(`No tenant with id "${id}".`)
    return t
  }
  /** Console test solves in flight, by attempt id (known from the first solve.progress event), for solve.cancel. */
  const cancellers = new Map<string, AbortController>()
  const audit = (action: string, subjectId: string | null, details: Record<string, unknown> = {}) =>
    engine.audit.record({ actor: 'operator', action, subjectType: action.split('.')[0]!, subjectId, details })

  let marks: ReturnType<typeof createInvoiceMarks> | undefined
  const invoiceMarks = () => (marks ??= createInvoiceMarks(engine.db, engine.now))
  /** Why an unlock failed, for the audit log; an older copy or an altered file are security events. */
  const unlockFailureDetails = (err: unknown): Record<string, unknown> =>
    err instanceof VaultRollbackError
      ? {
          reason: 'an older copy of the vault file (rollback refused)',
          fileGeneration: err.fileGeneration,
          anchoredGeneration: err.anchoredGeneration,
        }
      : err instanceof VaultDamagedError
        ? { reason: 'the vault file is damaged or was altered' }
        : { reason: unlockFailure(err) }

  return {
    ...consoleHandlers(ctx),
    async 'app.status'() {
      const s = engine.settings.get()
      let provider: { id: string; label: string; baseUrl: string } = {
        id: s.providerId,
        label: s.providerId,
        baseUrl: s.baseUrl,
      }
      try {
        const p = engine.providerProfile()
        provider = { id: p.id, label: p.label, baseUrl: p.baseUrl }
      } catch {
        // provider not configured yet
      }
      return {
        vault: vaultStatus(),
        provider,
        sandbox: engine.sandbox !== undefined,
        gateway: ctx.gateway.status(),
        version: ctx.version,
      }
    },
    async 'vault.status'() {
      return vaultStatus()
    },
    async 'vault.create'({ passphrase }) {
      await engine.vault.create(passphrase)
      audit('vault.create', null)
      await engine.afterUnlock()
      await ctx.gateway.resume() // serving switched on resumes as soon as the keys are available
      return vaultStatus()
    },
    async 'vault.unlock'({ passphrase, acceptOlderVault }) {
      let older
      try {
        older = await engine.vault.unlock(passphrase, { acceptOlder: acceptOlderVault === true })
      } catch (err) {
        audit('vault.unlockFailed', null, unlockFailureDetails(err))
        throw err
      }
      // A security event: the operator chose to open an older copy of the vault file (a restored backup).
      if (older) audit('vault.acceptOlder', null, { ...older })
      audit('vault.unlock', null)
      await engine.afterUnlock()
      await ctx.gateway.resume() // serving switched on resumes as soon as the keys are available
      return vaultStatus()
    },
    async 'vault.lock'() {
      engine.vault.lock('operator')
      return vaultStatus()
    },
    async 'vault.changePassphrase'({ oldPassphrase, newPassphrase }) {
      await engine.vault.changePassphrase(oldPassphrase, newPassphrase)
      audit('vault.changePassphrase', null)
      return vaultStatus()
    },
    async 'vault.rotateDataKey'({ passphrase }) {
      await engine.vault.rotateDataKey(passphrase)
      audit('vault.rotateDataKey', null)
      return vaultStatus()
    },
    async 'vault.unlockWithDevice'() {
      try {
        await engine.vault.unlockWithDevice()
      } catch (err) {
        audit('vault.unlockFailed', null, { with: 'device', ...unlockFailureDetails(err) })
        throw err
      }
      audit('vault.unlock', null, { with: 'device' })
      await engine.afterUnlock()
      await ctx.gateway.resume() // serving switched on resumes as soon as the keys are available
      return vaultStatus()
    },
    async 'vault.setDeviceUnlock'({ enabled }) {
      if (enabled) engine.vault.enableDeviceUnlock()
      else engine.vault.disableDeviceUnlock()
      audit('vault.setDeviceUnlock', null, { enabled })
      return vaultStatus()
    },
    async 'vault.describeKeys'() {
      return engine.vault.describe()
    },
    async 'vault.setPlatformKey'({ key, label }) {
      const info = engine.vault.setPlatformKey(key, label || 'Platform key')
      audit('vault.setPlatformKey', null, {
        label: info.label,
        last4: info.last4,
        fingerprint: info.fingerprint,
      })
      return info
    },
    async 'vault.removePlatformKey'() {
      const removed = engine.vault.removePlatformKey()
      audit('vault.removePlatformKey', null)
      return { removed }
    },
    async 'vault.setTenantKey'({ tenantId, key, label }) {
      tenantOrThrow(tenantId)
      const info = engine.vault.setTenantKey(tenantId, key, label || 'Tenant key')
      audit('vault.setTenantKey', tenantId, {
        label: info.label,
        last4: info.last4,
        fingerprint: info.fingerprint,
      })
      return info
    },
    async 'vault.removeTenantKey'({ tenantId }) {
      const removed = engine.vault.removeTenantKey(tenantId)
      audit('vault.removeTenantKey', tenantId)
      return { removed }
    },
    async 'tenants.list'({ search, includeDeleted }) {
      const q = (search ?? '').trim().toLowerCase()
      return engine.tenants
        .list({ includeDeleted })
        .filter((t) => !q || t.name.toLowerCase().includes(q) || t.id.includes(q))
    },
    async 'tenants.get'({ id }) {
      return tenantOrThrow(id)
    },
    async 'tenants.create'(input) {
      return engine.tenants.create(input, 'operator')
    },
    async 'tenants.update'({ id, patch }) {
      return engine.tenants.update(id, patch, 'operator')
    },
    async 'tenants.suspend'({ id }) {
      return engine.tenants.suspend(id, 'operator')
    },
    async 'tenants.resume'({ id }) {
      return engine.tenants.resume(id, 'operator')
    },
    async 'tenants.delete'({ id }) {
      ctx.gateway.keys.revoke(id)
      return engine.tenants.delete(id, 'operator')
    },
    async 'solve.test'({ tenantId, request, timeoutSeconds }) {
      // The reply is the final result; progress (with the attempt id, for solve.cancel) arrives as events first.
      const controller = new AbortController()
      let attemptId: string | undefined
      try {
        return await engine.solver.solve(tenantId, request as CaptchaRequest, {
          source: 'console',
          signal: controller.signal,
          timeoutMs: (timeoutSeconds ?? engine.settings.get().solveTimeoutSeconds) * 1000,
          onProgress: (e) => {
            if (attemptId === undefined && e.stage !== 'ended') {
              attemptId = e.attemptId
              cancellers.set(attemptId, controller)
            }
            engine.emit('solve.progress', e)
          },
        })
      } finally {
        if (attemptId !== undefined) cancellers.delete(attemptId)
      }
    },
    async 'solve.cancel'({ attemptId }) {
      const controller = cancellers.get(attemptId)
      if (!controller) return { cancelled: false } // already ended, or not a console test solve
      controller.abort()
      audit('solve.cancel', null, { attemptId })
      return { cancelled: true }
    },
    async 'usage.dashboard'() {
      const rows = dashboardTenantRows(
        {
          tenants: engine.tenants,
          admission: engine.admission,
          usage: engine.usage,
          inFlightByTenant: () => engine.solver.inFlightByTenant(),
        },
        engine.now(),
      )
      return {
        tenants: rows,
        sharedThreads: {
          capacity: engine.settings.get().sharedThreads,
          inUse: engine.admission.sharedUsage().used,
          upstreamInUse:
            engine.sandbox && engine.servingKeys.has('platform')
              ? engine.sandbox.threadsInUse(engine.servingKeys.readPlatform().key)
              : null,
        },
        balances: engine.balances.latest(),
        alerts: engine.alertAcks.annotate(engine.alerts.list({ activeOnly: true, limit: 50 })),
      }
    },
    async 'usage.byDay'({ tenantId, from, to }) {
      if (from > to) throw new RangeError('"from" must not be after "to".')
      return engine.usage.byDay(tenantId === 'all' ? 'all' : [tenantId], from, to)
    },
    async 'balances.check'() {
      return engine.balances.checkNow()
    },
    async 'balances.history'({ account, limit }) {
      return engine.balances.history(account, limit)
    },
    async 'billing.preview'({ month, tenantId }) {
      return engine.billing.invoice(tenantOrThrow(tenantId), month)
    },
    async 'billing.export'({ month, tenantId, format }) {
      const target = await ctx.exportTarget(tenantId ? `invoice-${month}-${tenantId}` : `invoices-${month}`)
      if (!target) return { files: [], rows: 0 }
      const jobId = randomUUID()
      const { files, rows } = await exportInvoices(engine, {
        month,
        tenantId: tenantId ?? undefined,
        format,
        dir: target.dir,
        onProgress: (n) => engine.emit('export.progress', { jobId, rows: n, done: false }),
      })
      engine.emit('export.progress', { jobId, rows, done: true })
      audit('billing.export', tenantId, { month, format, files: files.length })
      const name = (p: string) => p.split(/[\\/]/).pop()!
      return {
        files: files.map((p) => ({
          name: name(p),
          url: target.urlFor ? target.urlFor(name(p)) : null,
          path: target.urlFor ? null : p,
        })),
        rows,
      }
    },
    async 'billing.list'({ month }) {
      const s = engine.settings.get()
      const platform = engine.vault.isUnlocked()
        ? engine.vault.describe().find((k) => k.scope === 'platform')
        : undefined
      return listInvoices({
        billing: engine.billing,
        ledger: engine.ledger,
        marks: invoiceMarks(),
        tenants: engine.tenants.list({ includeDeleted: true }),
        settings: s,
        planAccount: platform ? `${s.providerId}:${platform.fingerprint}` : null,
        month,
        now: engine.now(),
      })
    },
    async 'billing.mark'({ tenantId, month, sent, paid }) {
      tenantOrThrow(tenantId)
      const r = invoiceMarks().mark(engine.billing, tenantId, month, { sent, paid })
      audit('billing.mark', tenantId, { month, sent, paid })
      return r
    },
    async 'alerts.webhookSecret'({ rotate }) {
      if (!rotate) return { hint: engine.webhook.secretHint(), secret: null }
      const secret = engine.webhook.rotateSecret()
      audit('alerts.rotateWebhookSecret', null, { hint: secret.slice(-4) })
      return { hint: secret.slice(-4), secret } // shown once, like a new gateway key
    },
    async 'credit.balances'() {
      return engine.tenants.list().map((t) => ({
        ...engine.credit.balance(t.id),
        gatewayBalanceMicros: tenantBalanceFor(engine, t, engine.now()),
      }))
    },
    async 'credit.entries'({ tenantId, limit }) {
      tenantOrThrow(tenantId)
      return engine.credit.entries(tenantId, limit)
    },
    async 'credit.record'({ tenantId, kind, amountMicros, reference, note }) {
      const t = tenantOrThrow(tenantId)
      if (t.status === 'deleted')
        throw new ConflictError('This tenant was deleted; its credit cannot change.')
      const r = engine.credit.record({ tenantId, kind, amountMicros, reference, note, actor: 'operator' })
      return { ...r, balance: engine.credit.balance(tenantId) }
    },
    async 'alerts.list'({ activeOnly }) {
      return engine.alertAcks.annotate(engine.alerts.list({ activeOnly }))
    },
    async 'alerts.ack'({ id }) {
      const alert = engine.alertAcks.ack(id, 'operator')
      if (!alert) throw new NotFoundError(`No alert with id ${id}.`)
      audit('alerts.ack', String(id), { kind: alert.kind, subject: alert.subject })
      return alert
    },
    async 'audit.list'({ limit, beforeId, subjectId, action, from, to }) {
      return engine.audit.list({ limit, beforeId, subjectId, action, from, to })
    },
    async 'settings.get'() {
      return engine.settings.get()
    },
    async 'settings.update'(patch) {
      const before = engine.settings.get()
      const next = engine.settings.update(patch)
      const changes = Object.fromEntries(
        Object.keys(patch).map((k) => [
          k,
          { from: before[k as keyof typeof before], to: next[k as keyof typeof next] },
        ]),
      )
      audit('settings.update', null, changes)
      return next
    },
    async 'gateway.status'() {
      return { ...ctx.gateway.status(), keys: ctx.gateway.keys.list() }
    },
    async 'gateway.start'() {
      const s = await ctx.gateway.start()
      audit('gateway.start', null, { url: s.url })
      return s
    },
    async 'gateway.stop'() {
      const s = await ctx.gateway.stop()
      audit('gateway.stop', null)
      return s
    },
    async 'gateway.issueKey'({ tenantId, graceHours }) {
      tenantOrThrow(tenantId)
      const { key, info } = ctx.gateway.keys.issue(tenantId, graceHours * 3_600_000)
      audit('gateway.issueKey', tenantId, { last4: info.last4, graceHours })
      // Shown once: the only reply that ever carries a secret, and it is the tenant's own gateway key.
      return { key, info }
    },
    async 'gateway.rotateKey'({ tenantId, graceHours }) {
      tenantOrThrow(tenantId)
      const { key, info } = ctx.gateway.keys.issue(tenantId, graceHours * 3_600_000)
      audit('gateway.rotateKey', tenantId, { last4: info.last4, graceHours })
      return { key, info } // shown once, like gateway.issueKey
    },
    async 'gateway.bans'() {
      return ctx.gateway.bans()
    },
    async 'gateway.liftBan'({ source }) {
      const lifted = ctx.gateway.liftBan(source)
      audit('gateway.liftBan', source, { lifted })
      return { lifted }
    },
    async 'gateway.revokeKey'({ tenantId }) {
      const revoked = ctx.gateway.keys.revoke(tenantId)
      audit('gateway.revokeKey', tenantId, { revoked })
      return { revoked }
    },
    async 'gateway.caCertificate'() {
      return caCertificateReply(engine.paths.dir, engine.settings.get().gateway.hostNames ?? [])
    },
  }
}
