/**
 * The console's own channels (issue 15): a tenant key checked before it is saved (the platform key or another
 * tenant's, by fingerprint; a balance call), and a tenant's recent attempts for its page. Keys stay in this process:
 * only the verdict goes back.
 */
import { keyFingerprint } from '../vault/vault-crypto'
import { VaultThrottledError, WrongPassphraseError } from '../vault/errors'
import { NotFoundError } from '../errors/engine-errors'
import type { AttemptRecord } from '../ledger/types'
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
  /** The newest `limit` attempts of a tenant, from the ledger's stream: the last hour first, wider when quiet. */
  const recent = (tenantId: string, limit: number) => {
    const now = Date.now()
    let last: AttemptRecord[] = []
    for (const span of [3_600_000, 86_400_000, 30 * 86_400_000]) {
      last = []
      for (const a of engine.ledger.iterate({
        tenantId,
        fromMs: now - span,
        toMs: now + 1,
        by: 'createdAt',
      })) {
        last.push(a)
        if (last.length > limit) last.shift()
      }
      if (last.length >= limit) break
    }
    return last.reverse()
  }
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
      return recent(tenantId, limit ?? 20).map((a) => ({
        attemptId: a.attemptId,
        captchaType: a.captchaType,
        status: a.status,
        errorCode: a.errorCode,
        source: a.source,
        createdAt: a.createdAt,
        endedAt: a.endedAt,
        priceMicros: a.priceMicros,
      }))
    },
  }
}
