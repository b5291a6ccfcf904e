/**
 * The tenant gateway's HTTP surface for the 2captcha v1 protocol: in.php / res.php exactly as the upstream speaks
 * them. Everything that is not protocol (keys, bans, limits, ledger, the persistent task store, pingbacks) is the
 * gateway core's, shared with the other surfaces. Task ids are random per task, so they reveal nothing about other
 * tenants, and a tenant can read only its own; they survive restarts because the task store is in the database.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { formatMoney } from '@shared/money'
import type { Tenant } from '@shared/tenant'
import { sendProtocolReply } from '../http/protocol-reply'
import { MalformedRequestError, readRequestParams, RequestTooLargeError } from '../http/request-params'
import type { GatewayCore } from './gateway-core'
import { requestFromParams } from './protocol-request'

export interface GatewayServer {
  readonly url: string
  readonly port: number
  readonly host: string
  stats(): { requests: number; tasks: number; rejectedBadKey: number }
  close(): Promise<void>
}

type Reply = { status: 0 | 1; request: string | number }

export async function startGateway(
  core: GatewayCore,
  options: {
    host?: string
    port?: number
    /** Other routes on the gateway's port (the upstream's pingback): true when it handled the request. */
    routes?: (req: IncomingMessage, res: ServerResponse) => boolean
  } = {},
): Promise<GatewayServer> {
  const sockets = new Set<Socket>()
  const stats = { requests: 0, tasks: 0, rejectedBadKey: 0 }

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
    stats.requests++
    if (options.routes?.(req, res)) return
    const source = req.socket.remoteAddress ?? 'unknown'
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
    const auth = core.authenticate(p.key, source)
    if (!auth.ok) {
      stats.rejectedBadKey++
      return send(res, { status: 0, request: auth.code }, json)
    }
    send(res, isIn ? await handleIn(auth.tenant, p) : await handleRes(auth.tenant, p), json)
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
    host,
    stats: () => ({ ...stats }),
    async close() {
      await new Promise<void>((r) => {
        server.close(() => r())
        for (const s of sockets) s.destroy()
      })
    },
  }
}
