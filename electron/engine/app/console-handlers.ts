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
  const recent = () =>
    engine.db.prepare(
      `SELECT attempt_id, captcha_type, status, error_code, source, created_at, ended_at, price_micros
         FROM attempts WHERE tenant_id = ? ORDER BY created_at DESC LIMIT ?`,
    )
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
      const rows = recent().all(tenantId, limit ?? 20) as Array<Record<string, unknown>>
      return rows.map((r) => ({
        attemptId: String(r.attempt_id),
        captchaType: String(r.captcha_type),
        status: String(r.status),
        errorCode: (r.error_code as string | null) ?? null,
        source: String(r.source),
        createdAt: Number(r.created_at),
        endedAt: r.ended_at === null ? null : Number(r.ended_at),
        priceMicros: Number(r.price_micros),
      }))
    },
  }
}
