/**
 * The tenant gateway: in.php / res.php exactly as the upstream speaks them, in front of the engine. Tenants
 * authenticate with a CaptchaDesk gateway key; every request goes through admission control and the ledger; limits
 * answer with codes standard clients back off on (ERROR_NO_SLOT_AVAILABLE, ERROR_ZERO_BALANCE). Task ids are random
 * per task, so they reveal nothing about other tenants, and a tenant can read only its own.
 */
import { randomInt } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { CaptchaType } from '@shared/captcha'
import { formatMoney, type Micros } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import { sendProtocolReply } from '../http/protocol-reply'
import { MalformedRequestError, readRequestParams, RequestTooLargeError } from '../http/request-params'
import type { SolveResult, SolveService } from '../solve'
import type { GatewayKeys } from './gateway-keys'
import { requestFromParams } from './protocol-request'
import { isPublicDestination } from './public-address'

interface GatewayTask {
  tenantId: string
  type: CaptchaType
  state: 'pending' | 'solved' | 'failed'
  answer?: string
  code?: string
  upstreamTaskId?: string
  attemptId?: string
  pingback?: string
  reported: boolean
  createdAt: number
}

export interface GatewayDeps {
  keys: GatewayKeys
  solver: SolveService
  tenants: { get(id: string): Tenant | undefined }
  /** The tenant's remaining money allowance for getbalance (budget left, or an allowance estimate). */
  allowance(tenant: Tenant): Micros
  report?(tenant: Tenant, upstreamTaskId: string, verdict: 'good' | 'bad'): Promise<void>
  now?: () => number
  badKeyLimit?: number
  banMs?: number
  /** How long answers stay readable (tokens expire in ~2 minutes anyway). */
  resultTtlMs?: number
  solveTimeoutMs?: number
  allowLoopbackPingbacks?: boolean
  /** Other routes served on the gateway's port (the upstream's pingback): true when it handled the request. */
  routes?: (req: IncomingMessage, res: ServerResponse) => boolean
}

export interface GatewayServer {
  readonly url: string
  readonly port: number
  stats(): { requests: number; tasks: number; rejectedBadKey: number }
  close(): Promise<void>
}

type Reply = { status: 0 | 1; request: string | number }

const LIMIT_CODES: Record<string, string> = {
  rate: 'ERROR_NO_SLOT_AVAILABLE',
  concurrency: 'ERROR_NO_SLOT_AVAILABLE',
  shared_capacity: 'ERROR_NO_SLOT_AVAILABLE',
  daily: 'ERROR_ZERO_BALANCE',
  budget: 'ERROR_ZERO_BALANCE',
  credit: 'ERROR_ZERO_BALANCE',
  suspended: 'ERROR_KEY_DOES_NOT_EXIST',
  unknown_tenant: 'ERROR_KEY_DOES_NOT_EXIST',
  invalid_request: 'ERROR_BAD_PARAMETERS',
  no_key: 'ERROR_SERVER_ERROR',
}

export async function startGateway(
  deps: GatewayDeps,
  options: { host?: string; port?: number } = {},
): Promise<GatewayServer> {
  const now = deps.now ?? Date.now
  const tasks = new Map<string, GatewayTask>()
  const badKeys = new Map<string, number[]>()
  const banned = new Map<string, number>()
  const badKeyLimit = deps.badKeyLimit ?? 20
  const banMs = deps.banMs ?? 5 * 60_000
  const ttl = deps.resultTtlMs ?? 15 * 60_000
  const sockets = new Set<Socket>()
  const stats = { requests: 0, tasks: 0, rejectedBadKey: 0 }

  const sweep = setInterval(() => {
    const cutoff = now() - ttl
    for (const [id, t] of tasks) if (t.state !== 'pending' && t.createdAt < cutoff) tasks.delete(id)
  }, 60_000)
  sweep.unref()

  function newTaskId(): string {
    for (;;) {
      const id = String(randomInt(10 ** 11, 10 ** 12 - 1))
      if (!tasks.has(id)) return id
    }
  }

  function authenticate(key: string | undefined, ip: string): Tenant | string {
    const tenantId = key ? deps.keys.lookup(key) : undefined
    const tenant = tenantId ? deps.tenants.get(tenantId) : undefined
    if (!tenant || tenant.status === 'deleted') {
      stats.rejectedBadKey++
      const t = now()
      const hits = (badKeys.get(ip) ?? []).filter((h) => t - h < 60_000)
      hits.push(t)
      badKeys.set(ip, hits)
      if (hits.length >= badKeyLimit) {
        banned.set(ip, t + banMs)
        badKeys.delete(ip)
      }
      return (key ?? '').length === 32 ? 'ERROR_KEY_DOES_NOT_EXIST' : 'ERROR_WRONG_USER_KEY'
    }
    if (tenant.status === 'suspended') return 'ERROR_KEY_DOES_NOT_EXIST'
    return tenant
  }

  function firePingback(task: GatewayTask, id: string): void {
    if (!task.pingback) return
    let url: URL
    try {
      url = new URL(task.pingback)
    } catch {
      return
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return
    if (url.username || url.password) return
    url.searchParams.set('id', id)
    url.searchParams.set('code', task.state === 'solved' ? (task.answer ?? '') : 'ERROR_CAPTCHA_UNSOLVABLE')
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
    const allowed =
      loopback && deps.allowLoopbackPingbacks ? Promise.resolve(true) : isPublicDestination(url.hostname)
    void allowed.then((ok) => {
      if (!ok) return
      fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'manual' })
        .then((r) => r.arrayBuffer())
        .catch(() => undefined)
    })
  }

  async function handleIn(tenant: Tenant, p: Record<string, string>): Promise<Reply> {
    const parsed = requestFromParams(p)
    if (!parsed.ok) return { status: 0, request: parsed.code }
    const id = newTaskId()
    const task: GatewayTask = {
      tenantId: tenant.id,
      type: parsed.request.type,
      state: 'pending',
      reported: false,
      createdAt: now(),
      pingback: p.pingback?.slice(0, 2000),
    }
    // Answer as soon as the upstream has accepted the task (or it was refused); the wait continues in the background.
    const accepted = new Promise<Reply>((resolve) => {
      const done = (r: SolveResult): void => {
        if (r.status === 'solved') {
          task.state = 'solved'
          task.answer = r.answer
        } else {
          task.state = 'failed'
          task.code =
            r.status === 'rejected'
              ? (LIMIT_CODES[r.limit] ?? 'ERROR_SERVER_ERROR')
              : 'ERROR_CAPTCHA_UNSOLVABLE'
        }
        if (r.status === 'rejected') return resolve({ status: 0, request: task.code! })
        if (!task.upstreamTaskId) {
          // Refused before the upstream took it: tell the client in the protocol's words.
          const code =
            r.status === 'failed' &&
            !r.keyProblem &&
            /^ERROR_(PAGEURL|GOOGLEKEY|BAD_|ZERO_CAPTCHA|TOO_BIG|IMAGE|WRONG_FILE|UPLOAD)/.test(r.code)
              ? r.code
              : 'ERROR_NO_SLOT_AVAILABLE'
          return resolve({ status: 0, request: code })
        }
        firePingback(task, id)
      }
      deps.solver
        .solve(tenant.id, parsed.request, {
          source: 'gateway',
          timeoutMs: deps.solveTimeoutMs,
          onProgress: (e) => {
            if (e.stage === 'submitted') {
              task.upstreamTaskId = e.taskId
              task.attemptId = e.attemptId
              tasks.set(id, task)
              stats.tasks++
              resolve({ status: 1, request: p.method === 'userrecaptcha' ? Number(id) : id })
            }
          },
        })
        .then(done, () => {
          task.state = 'failed'
          task.code = 'ERROR_CAPTCHA_UNSOLVABLE'
          resolve({ status: 0, request: 'ERROR_SERVER_ERROR' })
        })
    })
    return accepted
  }

  function resultFor(tenant: Tenant, id: string): string {
    if (!/^\d+$/.test(id)) return 'ERROR_WRONG_ID_FORMAT'
    const t = tasks.get(id)
    if (!t || t.tenantId !== tenant.id) return 'ERROR_WRONG_CAPTCHA_ID'
    if (t.state === 'pending') return 'CAPCHA_NOT_READY'
    if (t.state === 'failed') return t.code ?? 'ERROR_CAPTCHA_UNSOLVABLE'
    return t.answer ?? ''
  }

  async function handleRes(tenant: Tenant, p: Record<string, string>): Promise<Reply> {
    switch (p.action ?? '') {
      case '':
        return { status: 0, request: 'ERROR_EMPTY_ACTION' }
      case 'get': {
        if (p.ids !== undefined) {
          const ids = p.ids.split(',').map((s) => s.trim())
          if (ids.length === 0 || ids.length > 100 || ids.some((i) => i === ''))
            return { status: 0, request: 'ERROR_WRONG_ID_FORMAT' }
          return { status: 1, request: ids.map((i) => resultFor(tenant, i)).join('|') }
        }
        const r = resultFor(tenant, p.id ?? '')
        return r === 'CAPCHA_NOT_READY' || /^ERROR_/.test(r)
          ? { status: 0, request: r }
          : { status: 1, request: r }
      }
      case 'getbalance':
        return {
          status: 1,
          request: formatMoney(Math.max(0, deps.allowance(tenant)), 6).replace(/0{1,4}$/, ''),
        }
      case 'reportbad':
      case 'reportgood': {
        const t = tasks.get(p.id ?? '')
        if (!t || t.tenantId !== tenant.id || t.state !== 'solved' || !t.upstreamTaskId)
          return { status: 0, request: 'ERROR_REPORT_NOT_RECORDED' }
        if (t.reported) return { status: 0, request: 'ERROR_DUPLICATE_REPORT' }
        t.reported = true
        await deps
          .report?.(tenant, t.upstreamTaskId, p.action === 'reportbad' ? 'bad' : 'good')
          .catch(() => undefined)
        return { status: 1, request: 'OK_REPORT_RECORDED' }
      }
      default:
        return { status: 0, request: 'ERROR_BAD_PARAMETERS' }
    }
  }

  const send = sendProtocolReply

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.requests++
    if (deps.routes?.(req, res)) return
    const ip = req.socket.remoteAddress ?? 'unknown'
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.writeHead(405, { allow: 'GET, POST' }).end()
      return
    }
    let parsed
    try {
      parsed = await readRequestParams(req, 1024 * 1024)
    } catch (err) {
      if (err instanceof RequestTooLargeError)
        res.writeHead(413, { connection: 'close' }).end('Request Entity Too Large')
      else if (err instanceof MalformedRequestError)
        send(res, { status: 0, request: 'ERROR_BAD_PARAMETERS' }, true)
      else throw err
      return
    }
    const p = parsed.params
    const json = p.json === '1'
    const path = parsed.path.replace(/\/+$/, '')
    const isIn = path.endsWith('/in.php')
    if (!isIn && !path.endsWith('/res.php')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found')
      return
    }
    const until = banned.get(ip)
    if (until !== undefined && until > now()) return send(res, { status: 0, request: 'IP_BANNED' }, json)
    const auth = authenticate(p.key, ip)
    if (typeof auth === 'string') return send(res, { status: 0, request: auth }, json)
    send(res, isIn ? await handleIn(auth, p) : await handleRes(auth, p), json)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, { status: 0, request: 'ERROR_SERVER_ERROR' }, true))
  })
  server.requestTimeout = 15_000
  server.headersTimeout = 10_000
  server.keepAliveTimeout = 5_000
  server.maxHeadersCount = 100
  server.on('clientError', (_e, socket) => socket.destroy())
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  const port = (server.address() as { port: number }).port
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    stats: () => ({ ...stats }),
    async close() {
      clearInterval(sweep)
      await new Promise<void>((r) => {
        server.close(() => r())
        for (const s of sockets) s.destroy()
      })
    },
  }
}
