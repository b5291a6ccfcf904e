/**
 * The JSON task API beside in.php/res.php: `POST /createTask`, `/getTaskResult`, `/getBalance`, the report methods of
 * anti-captcha (`/reportIncorrectImageCaptcha`, `/reportIncorrectRecaptcha`, `/reportCorrectRecaptcha`), 2captcha v2
 * (`/reportIncorrect`, `/reportCorrect`) and CapSolver (`/feedbackTask`). It speaks to the same gateway core as the v1
 * handler: the same keys, bans, limits, ledger and task store, so a task created here can also be read through
 * res.php. Every reply is `application/json` with `errorId` (0 = success); nothing a caller sends is echoed back.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { CaptchaRequest, CaptchaType } from '@shared/captcha'
import { formatMoney, type Micros } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import { sendPreflight } from '../../http/protocol-reply'
import { sendBody } from '../../http/send-body'
import { jsonCodeOf, jsonError, type JsonErrorReply } from './errors'
import { solutionFor } from './solution'
import { taskFromJson } from './task-types'

/** A gateway task as the JSON API reads it. */
export interface JsonApiTask {
  type: CaptchaType
  state: 'pending' | 'solved' | 'failed'
  answer?: string
  /** The in.php/res.php code of a failed task. */
  code?: string
  createdAt: number
  endedAt?: number
  /** What the tenant is billed for it (solved tasks). */
  priceMicros?: Micros
}

/** The gateway core the v1 handler uses, as the JSON API needs it. */
export interface JsonApiCore {
  /** The tenant for a key, or the v1 code (bans and bad-key counting as for in.php/res.php). */
  authenticate(key: string | undefined, ip: string): Tenant | string
  /** `callback`: the caller's callbackUrl, stored with the task and POSTed its result when it ends. */
  submit(
    tenant: Tenant,
    request: CaptchaRequest,
    options: { ip: string; callback?: { url: URL; numericId: boolean } },
  ): Promise<{ ok: true; taskId: string } | { ok: false; code: string }>
  task(tenant: Tenant, taskId: string): JsonApiTask | undefined
  /** Resolves when the task is no longer pending, or after `ms`. */
  settled(tenant: Tenant, taskId: string, ms: number): Promise<JsonApiTask | undefined>
  /** The v1 report outcome: OK_REPORT_RECORDED, or its error code. */
  report(tenant: Tenant, taskId: string, verdict: 'good' | 'bad'): Promise<string>
  balanceMicros(tenant: Tenant): Micros
}

export interface JsonApiOptions {
  /** How long CapSolver's image tasks may be waited for inside createTask (they answer at once). */
  inlineWaitMs?: number
  maxBodyBytes?: number
}

export const JSON_API_METHODS = [
  'createtask',
  'gettaskresult',
  'getbalance',
  'reportincorrectimagecaptcha',
  'reportincorrectrecaptcha',
  'reportincorrecthcaptcha',
  'reportcorrectrecaptcha',
  'reportincorrect',
  'reportcorrect',
  'feedbacktask',
] as const

/** The JSON API method a path names (`/createTask`, `/api/createTask`…, any case), or undefined. */
export function jsonApiMethod(path: string): string | undefined {
  const last = path.replace(/\/+$/, '').split('/').pop()?.toLowerCase() ?? ''
  return (JSON_API_METHODS as readonly string[]).includes(last) ? last : undefined
}

type Body = Record<string, unknown>

function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<Body | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let over = false
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > maxBytes) over = true
      else chunks.push(c)
    })
    req.on('end', () => {
      if (over) return resolve('too_large')
      try {
        const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'))
        resolve(parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Body) : {})
      } catch {
        resolve({})
      }
    })
    req.on('error', reject)
  })
}

function send(res: ServerResponse, body: object, status = 200): void {
  if (res.headersSent || res.destroyed) return
  sendBody(
    res,
    status,
    { 'content-type': 'application/json', 'access-control-allow-origin': '*' },
    JSON.stringify(body),
  )
}

const seconds = (ms: number | undefined): number => (ms === undefined ? 0 : Math.floor(ms / 1000))

/** The id as the caller gave it: a number or a numeric string. */
function taskIdOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return String(value)
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return value
  return undefined
}

/** CapSolver's clients: its host name, its appId field, or its type-name casing. */
function isCapSolver(req: IncomingMessage, body: Body): boolean {
  const host = (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '')
  const type = body.task && typeof body.task === 'object' ? (body.task as Body).type : undefined
  return (
    host === 'api.capsolver.com' ||
    typeof body.appId === 'string' ||
    (typeof type === 'string' && (/ProxyLess$/.test(type) || /^Anti[A-Z]/.test(type)))
  )
}

export function resultReply(task: JsonApiTask, ip: string, taskId: string): object {
  if (task.state === 'pending') return { errorId: 0, status: 'processing' }
  if (task.state === 'failed')
    return jsonError(jsonCodeOf(task.code ?? 'ERROR_CAPTCHA_UNSOLVABLE'), { taskId })
  return {
    errorId: 0,
    status: 'ready',
    solution: solutionFor(task.type, task.answer ?? ''),
    cost: formatMoney(task.priceMicros ?? 0, 6),
    ip,
    createTime: seconds(task.createdAt),
    endTime: seconds(task.endedAt),
    solveCount: 1,
  }
}

/** callbackUrl: absent, or an http(s) URL without credentials (checked again, with its address, when it is called). */
function callbackUrlOf(value: unknown): URL | null | 'bad' {
  if (value === undefined || value === null || value === '') return null
  if (typeof value !== 'string' || value.length > 2_000) return 'bad'
  try {
    const url = new URL(value)
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) return 'bad'
    return url
  } catch {
    return 'bad'
  }
}

export async function handleJsonApi(
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  ip: string,
  core: JsonApiCore,
  options: JsonApiOptions = {},
): Promise<void> {
  try {
    await handle(req, res, method, ip, core, options)
  } catch {
    send(res, jsonError('ERROR_SERVICE_UNAVAILABLE'))
  }
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  ip: string,
  core: JsonApiCore,
  options: JsonApiOptions,
): Promise<void> {
  if (req.method === 'OPTIONS') return sendPreflight(res, 'POST, OPTIONS')
  if (req.method !== 'POST') {
    req.resume()
    return send(res, jsonError('ERROR_NO_SUCH_METHOD', { description: 'Use POST with a JSON body.' }), 405)
  }
  const body = await readJsonBody(req, options.maxBodyBytes ?? 1024 * 1024)
  if (body === 'too_large')
    return send(
      res,
      jsonError('ERROR_TOO_BIG_CAPTCHA_FILESIZE', { description: 'The request body is over 1 MB.' }),
      413,
    )
  const key = typeof body.clientKey === 'string' ? body.clientKey : undefined
  const auth = core.authenticate(key, ip)
  if (typeof auth === 'string') return send(res, jsonError(jsonCodeOf(auth)))
  const tenant = auth
  const capsolver = isCapSolver(req, body)
  const outId = (id: string): string | number => (capsolver ? id : Number(id))

  switch (method) {
    case 'createtask': {
      const parsed = taskFromJson(body.task)
      if (!parsed.ok) return send(res, jsonError(parsed.code, { description: parsed.description }))
      const callback = callbackUrlOf(body.callbackUrl)
      if (callback === 'bad')
        return send(
          res,
          jsonError('ERROR_INCORRECT_SESSION_DATA', {
            description: 'callbackUrl must be an http(s) URL without credentials, at most 2000 characters.',
          }),
        )
      const created = await core.submit(tenant, parsed.request, {
        ip,
        callback: callback ? { url: callback, numericId: !capsolver } : undefined,
      })
      if (!created.ok) return send(res, jsonError(jsonCodeOf(created.code)))
      if (capsolver && parsed.request.type === 'image') {
        // CapSolver answers image tasks in the createTask reply.
        const done = await core.settled(tenant, created.taskId, options.inlineWaitMs ?? 60_000)
        if (done && done.state !== 'pending')
          return send(res, { ...resultReply(done, ip, created.taskId), taskId: created.taskId })
      }
      return send(res, { errorId: 0, taskId: outId(created.taskId) })
    }
    case 'gettaskresult': {
      const id = taskIdOf(body.taskId)
      const task = id === undefined ? undefined : core.task(tenant, id)
      if (!task || id === undefined) return send(res, jsonError('ERROR_NO_SUCH_CAPCHA_ID'))
      return send(res, resultReply(task, ip, id))
    }
    case 'getbalance':
      return send(res, {
        errorId: 0,
        balance: Number(formatMoney(Math.max(0, core.balanceMicros(tenant)), 6)),
      })
    case 'feedbacktask':
    case 'reportincorrectimagecaptcha':
    case 'reportincorrectrecaptcha':
    case 'reportincorrecthcaptcha':
    case 'reportcorrectrecaptcha':
    case 'reportincorrect':
    case 'reportcorrect': {
      const id = taskIdOf(body.taskId)
      if (id === undefined) return send(res, jsonError('ERROR_NO_SUCH_CAPCHA_ID'))
      const result = body.result && typeof body.result === 'object' ? (body.result as Body) : {}
      const verdict =
        method === 'feedbacktask'
          ? result.invalid === true
            ? 'bad'
            : 'good'
          : method.startsWith('reportincorrect')
            ? 'bad'
            : 'good'
      const outcome = await core.report(tenant, id, verdict)
      if (outcome === 'OK_REPORT_RECORDED')
        return send(
          res,
          method === 'feedbacktask' ? { errorId: 0, message: 'ok' } : { errorId: 0, status: 'success' },
        )
      const reply: JsonErrorReply =
        outcome === 'ERROR_DUPLICATE_REPORT'
          ? jsonError('ERROR_REPORT_NOT_RECORDED', { description: 'This task was already reported.' })
          : jsonError('ERROR_NO_SUCH_CAPCHA_ID', {
              description: 'No solved task with this id (unknown, not solved, or expired).',
            })
      return send(res, reply)
    }
    default:
      return send(res, jsonError('ERROR_NO_SUCH_METHOD'))
  }
}
