/**
 * The headless host: the same engine and the same built console, served on 127.0.0.1 with a random token in the
 * printed URL (as Jupyter does). Every API call needs the token; Host and Origin are checked (DNS rebinding,
 * cross-site requests); static files are confined to the renderer folder.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream, existsSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { extname, join, resolve, sep } from 'node:path'
import { EVENTS, PASSIVE_CHANNELS } from '@shared/ipc-channels'
import { SECURITY_HEADERS } from './security-headers'
import { sendBody } from '../http/send-body'
import type { Engine } from '../app/engine'
import { dispatch } from '../app/dispatch'
import type { Handlers } from '../app/handlers'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
}

export interface HostOptions {
  engine: Engine
  handlers: Handlers
  rendererDir: string
  port?: number
  token?: string
}

export interface Host {
  readonly port: number
  readonly origin: string
  readonly token: string
  /** The URL to open: origin + ?token= */
  readonly url: string
  close(): Promise<void>
}

const MAX_BODY = 2 * 1024 * 1024

/** Constant-time, length included: both sides are hashed to 32 bytes before the comparison. */
function sameSecret(a: string, b: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v, 'utf8').digest()
  return timingSafeEqual(digest(a), digest(b)) && a.length > 0
}

export async function startHost(options: HostOptions): Promise<Host> {
  const token = options.token ?? randomBytes(24).toString('base64url')
  const rendererDir = resolve(options.rendererDir)
  const sockets = new Set<Socket>()
  const streams = new Map<ServerResponse, () => void>()
  let port = 0
  const allowedHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`]
  const allowedOrigins = (): string[] => allowedHosts().map((h) => `http://${h}`)

  const security = SECURITY_HEADERS

  function deny(res: ServerResponse, status: number, message: string): void {
    sendBody(
      res,
      status,
      { 'content-type': 'application/json', ...security },
      JSON.stringify({ ok: false, error: { code: `HTTP_${status}`, message } }),
    )
  }

  /** A URL path part decoded, or (malformed) a 400 with `message` and undefined. */
  function decodedOrDeny(res: ServerResponse, encoded: string, message: string): string | undefined {
    try {
      return decodeURIComponent(encoded)
    } catch {
      deny(res, 400, message)
      return undefined
    }
  }

  /** The header on API calls; the query only where a browser cannot send headers (EventSource, download links). */
  function tokenOf(req: IncomingMessage, url: URL, queryAllowed: boolean): string {
    const header = req.headers['x-captchadesk-token']
    if (typeof header === 'string') return header
    return queryAllowed ? (url.searchParams.get('token') ?? '') : ''
  }

  function readJson(req: IncomingMessage): Promise<unknown> {
    return new Promise((resolveBody, reject) => {
      let size = 0
      const chunks: Buffer[] = []
      const tooLarge = () =>
        Object.assign(new Error(`The request body is over ${MAX_BODY / 1024 / 1024} MiB.`), { status: 413 })
      if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) return reject(tooLarge())
      req.on('data', (c: Buffer) => {
        if (size > MAX_BODY) return
        size += c.length
        if (size > MAX_BODY) {
          chunks.length = 0
          reject(tooLarge())
        } else chunks.push(c)
      })
      req.on('end', () => {
        try {
          resolveBody(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {})
        } catch {
          reject(Object.assign(new Error('The request body is not JSON.'), { status: 400 }))
        }
      })
      req.on('error', reject)
    })
  }

  function serveStatic(res: ServerResponse, pathname: string): void {
    const rel = decodedOrDeny(res, pathname, 'Bad path.')
    if (rel === undefined) return
    if (rel.includes('\0')) return deny(res, 400, 'Bad path.')
    const target = resolve(rendererDir, `.${rel === '/' ? '/index.html' : rel}`)
    if (target !== rendererDir && !target.startsWith(rendererDir + sep))
      return deny(res, 403, 'Outside the console folder.')
    const file = existsSync(target) && statSync(target).isFile() ? target : join(rendererDir, 'index.html')
    if (!existsSync(file))
      return deny(
        res,
        503,
        'The console is not built yet: run `npx electron-vite build` (npm run serve does it for you).',
      )
    const isIndex = file.endsWith('index.html')
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': isIndex ? 'no-store' : 'public, max-age=31536000, immutable',
      ...security,
    })
    createReadStream(file).pipe(res)
  }

  function serveEvents(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      ...security,
    })
    // A stream ends from either side (the page goes away, or the host closes); after that nothing may write to it —
    // an engine event emitted while closing (the vault locks) would otherwise throw "write after end" and crash.
    const send = (text: string): void => {
      if (!res.writableEnded && !res.destroyed) res.write(text)
    }
    const offs = EVENTS.map((name) =>
      options.engine.on(name, (payload) => send(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`)),
    )
    const ping = setInterval(() => send(': ping\n\n'), 25_000)
    const stop = (): void => {
      if (!streams.delete(res)) return
      clearInterval(ping)
      for (const off of offs) off()
      if (!res.writableEnded) res.end()
    }
    streams.set(res, stop)
    res.on('error', stop)
    req.on('close', stop)
    send(': connected\n\n')
  }

  function serveExport(res: ServerResponse, encoded: string): void {
    const name = decodedOrDeny(res, encoded, 'Bad file name.')
    if (name === undefined) return
    // A bare file name of the exports folder: no separators, no '..', nothing but CSV or PDF (letters of any script).
    if (!/^[\p{L}\p{N}\p{M}_-][\p{L}\p{N}\p{M}._-]*\.(csv|pdf)$/u.test(name) || name.includes('..'))
      return deny(res, 400, 'Bad file name.')
    const file = join(options.engine.paths.exports, name)
    if (!existsSync(file)) return deny(res, 404, 'No such export.')
    const ascii = name.replace(/[^A-Za-z0-9._-]/g, '_')
    res.writeHead(200, {
      'content-type': name.endsWith('.pdf') ? 'application/pdf' : 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`,
      'cache-control': 'no-store',
      ...security,
    })
    createReadStream(file).pipe(res)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts().includes(req.headers.host ?? ''))
      return deny(res, 421, 'Unknown Host header (the console is served only on 127.0.0.1).')
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`)
    const isApi = url.pathname.startsWith('/api/') || url.pathname.startsWith('/exports/')
    if (!isApi) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'Method not allowed.')
      return serveStatic(res, url.pathname)
    }
    const origin = req.headers.origin
    if (origin !== undefined && !allowedOrigins().includes(origin))
      return deny(res, 403, 'Cross-origin requests are refused.')
    const isEvents = url.pathname === '/api/events'
    const isExport = url.pathname.startsWith('/exports/')
    if (!sameSecret(tokenOf(req, url, isEvents || isExport), token))
      return deny(res, 401, 'Missing or wrong token: open the URL that `npm run serve` printed.')
    if (isEvents) return req.method === 'GET' ? serveEvents(req, res) : deny(res, 405, 'Method not allowed.')
    if (isExport)
      return req.method === 'GET'
        ? serveExport(res, url.pathname.slice('/exports/'.length))
        : deny(res, 405, 'Method not allowed.')
    const m = /^\/api\/invoke\/([A-Za-z.]+)$/.exec(url.pathname)
    if (req.method !== 'POST' || !m) return deny(res, 404, 'No such endpoint.')
    if (origin === undefined) return deny(res, 403, 'API calls must come from the console page.')
    if (!/^application\/json(;|$)/i.test(req.headers['content-type'] ?? ''))
      return deny(res, 415, 'Send the input as JSON (content-type: application/json).')
    let body: unknown
    try {
      body = await readJson(req)
    } catch (err) {
      // Answer, then drop the connection so an oversized upload stops here.
      res.setHeader('connection', 'close')
      res.once('finish', () => req.destroy())
      return deny(res, (err as { status?: number }).status ?? 400, (err as Error).message)
    }
    const input =
      body && typeof body === 'object' && !Array.isArray(body)
        ? (body as { input?: unknown }).input
        : undefined
    const envelope = await dispatch(options.handlers, m[1], input, options.engine.log)
    if (!(PASSIVE_CHANNELS as readonly string[]).includes(m[1]!)) options.engine.vault.touch()
    sendBody(
      res,
      200,
      { 'content-type': 'application/json', 'cache-control': 'no-store', ...security },
      JSON.stringify(envelope),
    )
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) deny(res, 500, 'Internal error; nothing was changed.')
      else res.destroy()
    })
  })
  server.headersTimeout = 10_000
  server.requestTimeout = 0 // solves and exports can take a while; SSE streams stay open
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => r())
  })
  port = (server.address() as { port: number }).port
  const origin = `http://127.0.0.1:${port}`
  return {
    port,
    origin,
    token,
    url: `${origin}/?token=${token}`,
    async close() {
      for (const stop of [...streams.values()]) stop()
      await new Promise<void>((r) => {
        server.close(() => r())
        for (const s of sockets) s.destroy()
      })
    },
  }
}
