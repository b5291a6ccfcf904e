/**
 * The JSON task API's view of the gateway core: the same authentication (bans, bad-key counting), submissions,
 * task store, reports and balance as in.php/res.php. Adds what only this surface needs: waiting for a task to end
 * (CapSolver answers image tasks inside createTask) and the anti-captcha-style callbackUrl, stored with the task
 * (callbacks.ts) and POSTed by the core when the task ends.
 */
import type { CaptchaRequest } from '@shared/captcha'
import type { Tenant } from '@shared/tenant'
import type { GatewayCore } from '../gateway-core'
import { jsonViewOf, storedCallback } from './callbacks'
import type { JsonApiCore, JsonApiTask } from './json-api'

export interface JsonApiCoreOptions {
  onBadKey?: () => void
  onTask?: () => void
}

export function jsonApiCoreFrom(core: GatewayCore, options: JsonApiCoreOptions = {}): JsonApiCore {
  const read = (tenant: Tenant, taskId: string): JsonApiTask | undefined => {
    const v = core.result(tenant, taskId)
    return v.state === 'unknown' ? undefined : jsonViewOf(v.task)
  }
  const settled = (tenant: Tenant, taskId: string, ms: number): Promise<JsonApiTask | undefined> =>
    new Promise((resolve) => {
      const now = read(tenant, taskId)
      if (!now || now.state !== 'pending') return resolve(now)
      const finish = (): void => {
        clearTimeout(timer)
        off()
        resolve(read(tenant, taskId))
      }
      const off = core.tasks.onEnded((t) => {
        if (t.taskId === taskId) finish()
      })
      const timer = setTimeout(finish, ms)
      timer.unref?.()
    })
  return {
    authenticate(key, ip) {
      const auth = core.authenticate(key, ip)
      if (auth.ok) return auth.tenant
      options.onBadKey?.()
      return auth.code
    },
    async submit(tenant: Tenant, request: CaptchaRequest, o) {
      const r = await core.submit(tenant, request, {
        callback: o.callback ? storedCallback(o.callback.url, o.ip, o.callback.numericId) : undefined,
      })
      if (r.ok) options.onTask?.()
      return r.ok ? { ok: true as const, taskId: r.taskId } : { ok: false as const, code: r.code }
    },
    task: read,
    settled,
    report: (tenant, taskId, verdict) => core.report(tenant, taskId, verdict),
    balanceMicros: (tenant) => core.balance(tenant),
  }
}
