/**
 * The tenant gateway's HTTP surface: the 2captcha v1 protocol (in.php / res.php exactly as the upstream speaks them)
 * and the JSON task API (json-api/), on HTTP and — in hosts-file mode — also on HTTPS with the local CA's
 * certificate, answering on any Host name. Everything that is not protocol (keys, bans, limits, ledger, the
 * persistent task store, pingbacks) is the gateway core's, shared by the surfaces. Task ids are random per task, so
 * they reveal nothing about other tenants, and a tenant can read only its own; they survive restarts because the
 * task store is in the database.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Socket } from 'node:net'
import { formatMoney } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import { answerClientError } from '../http/client-error'
import { queryAsksJson, sendPreflight, sendProtocolReply } from '../http/protocol-reply'
import { MalformedRequestError, readRequestParams, RequestTooLargeError } from '../http/request-params'
import { sendBody } from '../http/send-body'
import { requestTarget } from '../http/request-target'
import type { GatewayCore } from './gateway-core'
import { jsonApiCoreFrom } from './json-api/core-adapter'
import { handleJsonApi, jsonApiMethod } from './json-api/json-api'
import { LatencySample } from '../log/latency-sample'
import { requestFromParams } from './protocol-request'

export interface GatewayServer {
  readonly url: string
  readonly port: number
  readonly host: string
  /** The HTTPS listener's URL and port (hosts-file mode), or null. */
  readonly httpsUrl: string | null
  readonly httpsPort: number | null
  stats(): { requests: number; tasks: number; rejectedBadKey: number }
  /** How long in.php took here, from the request's arrival to its reply handed to the socket (ms). */
  inPhpTimes(): ReturnType<LatencySample['summary']>
  close(): Promise<void>
}

export interface GatewayServerOptions {
  host?: string
  port?: number
  /** Hosts-file mode: also listen on HTTPS with this certificate (from the local CA). */
  tls?: { certPem: string; keyPem: string; port?: number }
  /** Other routes on the gateway's port (the upstream's pingback): true when it handled the request. */
  routes?: (req: IncomingMessage, res: ServerResponse) => boolean
}

type Reply = { status: 0 | 1; request: string | number }

export async function startGateway(
  core: GatewayCore,
  options: GatewayServerOptions = {},
): Promise<GatewayServer> {
  const sockets = new Set<Socket>()
  const stats = { requests: 0, tasks: 0, rejectedBadKey: 0 }
  const inPhpTimes = new LatencySample()
  const jsonCore = jsonApiCoreFrom(core, {
    onBadKey: () => stats.rejectedBadKey++,
    onTask: () => stats.tasks++,
  })

  async function handleIn(tenant: Tenant, p: Record<string, string>): Promise<Reply> {
    const parsed = requestFromParams(p)
    if (!parsed.ok) return { status: 0, request: parsed.code }
    const r = await core.submit(tenant, parsed.request, { pingback: p.pingback })
    if (!r.ok) return { status: 0, request: r.code }
    stats.tasks++
    // reCAPTCHA clients expect a number in JSON replies, as the upstream sends it.
    return { status: 1, request: p.method === 'userrecaptcha' ? Number(r.taskId) : r.taskId }
  }

  function resultFor(tenant: Tenant, id: string): string {
    if (!/^\d{1,20}$/.test(id)) return 'ERROR_WRONG_ID_FORMAT'
    const v = core.result(tenant, id)
    if (v.state === 'unknown') return 'ERROR_WRONG_CAPTCHA_ID'
    if (v.state === 'pending') return 'CAPCHA_NOT_READY'
    if (v.state === 'failed') return v.code
    return v.answer
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
          request: formatMoney(Math.max(0, core.balance(tenant)), 6).replace(/0{1,4}$/, ''),
        }
      case 'reportbad':
      case 'reportgood': {
        const code = await core.report(tenant, p.id ?? '', p.action === 'reportbad' ? 'bad' : 'good')
        return { status: code === 'OK_REPORT_RECORDED' ? 1 : 0, request: code }
      }
      default:
        return { status: 0, request: 'ERROR_BAD_PARAMETERS' }
    }
  }

  const send = sendProtocolReply

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrived = performance.now()
    stats.requests++
    if (options.routes?.(req, res)) return
    const source = req.socket.remoteAddress ?? 'unknown'
    const target = requestTarget(req.url)
    const pathname = target.pathname.replace(/\/+$/, '')
    const method = jsonApiMethod(pathname)
    if (method) return handleJsonApi(req, res, method, source, jsonCore)
    const isIn = pathname.endsWith('/in.php')
    if (!isIn && !pathname.endsWith('/res.php')) {
      req.resume()
      sendBody(res, 404, { 'content-type': 'text/plain' }, 'Not Found')
      return
    }
    if (req.method === 'OPTIONS') return sendPreflight(res)
    if (req.method !== 'GET' && req.method !== 'POST') {
      sendBody(res, 405, { allow: 'GET, POST, OPTIONS' })
      return
    }
    let parsed
    try {
      parsed = await readRequestParams(req, 1024 * 1024, target)
    } catch (err) {
      if (err instanceof RequestTooLargeError)
        sendBody(res, 413, { connection: 'close' }, 'Request Entity Too Large')
      else if (err instanceof MalformedRequestError)
        send(res, { status: 0, request: 'ERROR_BAD_PARAMETERS' }, queryAsksJson(req.url))
      else throw err
      return
    }
    const p = parsed.params
    const json = p.json === '1'
    const acao = { acao: p.header_acao === '1' }
    const auth = core.authenticate(p.key, source)
    if (!auth.ok) {
      stats.rejectedBadKey++
      return send(res, { status: 0, request: auth.code }, json, acao)
    }
    if (!isIn) return send(res, await handleRes(auth.tenant, p), json, acao)
    send(res, await handleIn(auth.tenant, p), json, acao)
    inPhpTimes.add(performance.now() - arrived)
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch(() =>
      send(res, { status: 0, request: 'ERROR_SERVER_ERROR' }, queryAsksJson(req.url)),
    )
  }
  const setUp = (server: Server): Server => {
    server.requestTimeout = 15_000
    server.headersTimeout = 10_000
    server.keepAliveTimeout = 5_000
    server.maxHeadersCount = 100
    // A status line (414, 431, 400, 408) instead of a dropped connection.
    server.on('clientError', answerClientError)
    server.on('connection', (s: Socket) => {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    })
    return server
  }
  const listen = (server: Server, port: number, host: string): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => resolve((server.address() as { port: number }).port))
    })
  const host = options.host ?? '127.0.0.1'
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host
  const server = setUp(createServer(onRequest))
  const port = await listen(server, options.port ?? 0, host)
  let secure: Server | null = null
  let httpsPort: number | null = null
  if (options.tls) {
    secure = setUp(createHttpsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, onRequest))
    try {
      httpsPort = await listen(secure, options.tls.port ?? 0, host)
    } catch (err) {
      server.close()
      throw err
    }
  }
  const closeOne = (s: Server): Promise<void> => new Promise<void>((r) => s.close(() => r()))
  return {
    url: `http://${shown}:${port}`,
    port,
    host,
    httpsUrl: httpsPort === null ? null : `https://${shown}:${httpsPort}`,
    httpsPort,
    stats: () => ({ ...stats }),
    inPhpTimes: () => inPhpTimes.summary(),
    async close() {
      const closing = [closeOne(server), ...(secure ? [closeOne(secure)] : [])]
      for (const s of sockets) s.destroy()
      await Promise.all(closing)
    },
  }
}
