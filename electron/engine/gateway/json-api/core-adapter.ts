/**
 * The JSON task API's view of the gateway core: the same authentication (bans, bad-key counting), submissions,
 * task store, reports and balance as in.php/res.php. Adds what only this surface needs: waiting for a task to end
 * (CapSolver answers image tasks inside createTask) and the anti-captcha-style callbackUrl, POSTed the
 * getTaskResult reply when the task ends (public destinations only, through the core's pinned outbound request).
 */
import type { CaptchaRequest, CaptchaType } from '@shared/captcha'
import type { Tenant } from '@shared/tenant'
import type { GatewayCore } from '../gateway-core'
import type { GatewayTask } from '../gateway-tasks'
import { requestPublicUrl } from '../public-address'
import type { JsonApiCore, JsonApiTask } from './json-api'

export interface JsonApiCoreOptions {
  allowLoopbackCallbacks?: boolean
  onBadKey?: () => void
  onTask?: () => void
}

export function jsonApiCoreFrom(core: GatewayCore, options: JsonApiCoreOptions = {}): JsonApiCore {
  const view = (
    task: GatewayTask,
    state: JsonApiTask['state'],
    extra: Partial<JsonApiTask>,
  ): JsonApiTask => ({
    type: task.captchaType as CaptchaType,
    state,
    createdAt: task.createdAt,
    endedAt: task.endedAt ?? undefined,
    ...extra,
  })
  const read = (tenant: Tenant, taskId: string): JsonApiTask | undefined => {
    const v = core.result(tenant, taskId)
    switch (v.state) {
      case 'unknown':
        return undefined
      case 'pending':
        return view(v.task, 'pending', {})
      case 'failed':
        return view(v.task, 'failed', { code: v.code })
      case 'solved':
        return view(v.task, 'solved', { answer: v.answer, priceMicros: v.task.priceMicros ?? 0 })
    }
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
    async submit(tenant: Tenant, request: CaptchaRequest) {
      const r = await core.submit(tenant, request)
      if (r.ok) options.onTask?.()
      return r.ok ? { ok: true as const, taskId: r.taskId } : { ok: false as const, code: r.code }
    },
    task: read,
    settled,
    report: (tenant, taskId, verdict) => core.report(tenant, taskId, verdict),
    balanceMicros: (tenant) => core.balance(tenant),
    callback(url, body) {
      void requestPublicUrl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        timeoutMs: 10_000,
        allowLoopback: options.allowLoopbackCallbacks,
      }).catch(() => undefined)
    },
  }
}
