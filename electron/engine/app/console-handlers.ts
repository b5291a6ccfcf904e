/**
 * The console's own channels (issue 15): a tenant key checked before it is saved (the platform key or another
 * tenant's, by fingerprint; a balance call), and a tenant's recent attempts for its page. Keys stay in this process:
 * only the verdict goes back.
 */
import { keyFingerprint } from '../vault/vault-crypto'
import { VaultThrottledError, WrongPassphraseError } from '../vault/errors'
import { NotFoundError } from '../errors/engine-errors'
import { ProviderError } from '../provider'
import type { HandlerContext, Handlers } from './handlers'

type ConsoleChannels = 'vault.checkTenantKey' | 'usage.recent'

/** The audit record's plain reason for a refused unlock (never the passphrase). */
export function unlockFailure(err: unknown): string {
  if (err instanceof WrongPassphraseError) return 'wrong passphrase'
  if (err instanceof VaultThrottledError) return 'too many attempts (throttled)'
  return err instanceof Error ? err.name : 'unknown'
}

export function consoleHandlers(ctx: HandlerContext): Pick<Handlers, ConsoleChannels> {
  const { engine } = ctx
  return {
    async 'vault.checkTenantKey'({ tenantId, key }) {
      if (!engine.tenants.get(tenantId)) throw new NotFoundError(`No tenant with id "${tenantId}".`)
      const fingerprint = keyFingerprint(key.trim())
      const same = engine.vault
        .describe()
        .find((k) => k.fingerprint === fingerprint && !(k.scope === 'tenant' && k.tenantId === tenantId))
      const sameAs = !same
        ? null
        : same.scope === 'platform'
          ? ({ kind: 'platform' } as const)
          : ({
              kind: 'tenant',
              tenantId: same.tenantId ?? '',
              name: engine.tenants.get(same.tenantId ?? '')?.name ?? 'another tenant',
            } as const)
      let balanceMicros: number | null = null
      let errorCode: string | null = null
      try {
        balanceMicros = await engine
          .provider()
          .getBalance(key.trim(), { signal: AbortSignal.timeout(15_000) })
        if (!Number.isSafeInteger(balanceMicros)) throw new Error('not a whole number of micros')
      } catch (err) {
        balanceMicros = null
        errorCode =
          err instanceof ProviderError && /^[A-Z0-9_]{1,64}$/.test(err.code) ? err.code : 'CHECK_FAILED'
      }
      return { sameAs, balanceMicros, errorCode }
    },
    async 'usage.recent'({ tenantId, limit }) {
      return engine.ledger.recent(tenantId, limit ?? 20).map((r) => ({
        attemptId: r.attemptId,
        captchaType: r.captchaType,
        status: r.status,
        errorCode: r.errorCode,
        source: r.source,
        createdAt: r.createdAt,
        endedAt: r.endedAt,
        priceMicros: r.priceMicros,
      }))
    },
  }
}
