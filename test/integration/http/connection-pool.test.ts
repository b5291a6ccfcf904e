/**
 * The engine's HTTP/1.1 client against real servers on loopback: node:http ones where the reply is well formed, raw
 * sockets where it must not be, and a TLS one with a certificate from the engine's local CA.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http'
import type { TLSSocket } from 'node:tls'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createNetServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createConnectionPool,
  type ConnectionPool,
} from '../../../electron/engine/http/client/connection-pool'
import { openLocalCa } from '../../../electron/engine/tls/local-ca'

const FORM = 'application/x-www-form-urlencoded'
const cleanups: Array<() => void> = []
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c()
})

function pool(options: Partial<Parameters<typeof createConnectionPool>[0]> = {}): ConnectionPool {
  const p = createConnectionPool({ maxConnectionsPerOrigin: 4, maxReplyBytes: 1024, ...options })
  cleanups.push(() => p.close())
  return p
}

const signal = (): AbortSignal => new AbortController().signal

interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
  port: number
}

/** A node:http server that answers every request with `reply`, recording what it saw and on which connection. */
async function httpServer(
  reply: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) =>
    res.end('{"status":1,"request":"42"}'),
): Promise<{ url: string; seen: Seen[]; connections: () => number; server: HttpServer }> {
  const seen: Seen[] = []
  let connections = 0
  const server = createHttpServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      seen.push({
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body,
        port: req.socket.remotePort!,
      })
      reply(req, res)
    })
  })
  server.on('connection', () => connections++)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  cleanups.push(() => server.close())
  cleanups.push(() => server.closeAllConnections())
  const port = (server.address() as { port: number }).port
  return { url: `http://127.0.0.1:${port}`, seen, connections: () => connections, server }
}

/** A raw TCP server: each connection's handler writes whatever bytes the test wants. */
async function rawServer(onConnection: (socket: Socket) => void): Promise<{ url: string; server: Server }> {
  const sockets = new Set<Socket>()
  const server = createNetServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
    onConnection(s)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  cleanups.push(() => {
    for (const s of sockets) s.destroy()
    server.close()
  })
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server }
}

const text = async (p: Promise<{ status: number; body: Buffer }>) => {
  const r = await p
  return { status: r.status, text: r.body.toString() }
}

describe('HTTP/1.1 client pool', () => {
  it('sends the form as a well-formed POST and reuses one kept-alive connection', async () => {
    const s = await httpServer()
    const p = pool()
    for (let i = 0; i < 5; i++) {
      const body = `key=k&n=${i}&text=${encodeURIComponent('é ü')}`
      expect(await text(p.post(`${s.url}/in.php?x=1`, FORM, body, signal()))).toEqual({
        status: 200,
        text: '{"status":1,"request":"42"}',
      })
    }
    expect(s.connections()).toBe(1)
    expect(new Set(s.seen.map((x) => x.port)).size).toBe(1)
    const first = s.seen[0]!
    expect(first).toMatchObject({
      method: 'POST',
      url: '/in.php?x=1',
      body: 'key=k&n=0&text=%C3%A9%20%C3%BC',
    })
    expect(first.headers).toMatchObject({
      host: s.url.slice('http://'.length),
      'content-type': FORM,
      'content-length': String(Buffer.byteLength(first.body)),
    })
  })

  it('holds connections per origin to the limit; the rest wait their turn and all are answered', async () => {
    const s = await httpServer((_req, res) => setTimeout(() => res.end('ok'), 20))
    const p = pool({ maxConnectionsPerOrigin: 3 })
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => text(p.post(`${s.url}/res.php`, FORM, `n=${i}`, signal()))),
    )
    expect(replies.every((r) => r.text === 'ok')).toBe(true)
    expect(s.connections()).toBe(3)
    expect(s.seen.map((x) => x.body).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `n=${i}`).sort())
  })

  it('opens a new connection after the server closes one: Connection: close, idle close, and past the idle limit', async () => {
    let closeNext = false
    const s = await httpServer((_req, res) => {
      if (closeNext) res.setHeader('connection', 'close')
      res.end('ok')
    })
    const p = pool({ idleMs: 150 })
    closeNext = true
    await p.post(s.url, FORM, 'a=1', signal())
    closeNext = false
    expect((await text(p.post(s.url, FORM, 'a=2', signal()))).text).toBe('ok')
    expect(s.connections()).toBe(2)
    // The server drops its idle connections (as a server's keep-alive timeout does): the next call is not hurt.
    s.server.closeIdleConnections()
    await new Promise((r) => setTimeout(r, 50))
    expect((await text(p.post(s.url, FORM, 'a=3', signal()))).text).toBe('ok')
    expect(s.connections()).toBe(3)
    // Kept past idleMs: not reused (the server may be about to close it).
    await new Promise((r) => setTimeout(r, 200))
    expect((await text(p.post(s.url, FORM, 'a=4', signal()))).text).toBe('ok')
    expect(s.connections()).toBe(4)
  })

  it('honours the server’s Keep-Alive hint, less a second', async () => {
    const s = await httpServer((_req, res) => {
      res.setHeader('keep-alive', 'timeout=1')
      res.end('ok')
    })
    const p = pool()
    await p.post(s.url, FORM, 'a=1', signal())
    await p.post(s.url, FORM, 'a=2', signal())
    // timeout=1 leaves no safe time to reuse it.
    expect(s.connections()).toBe(2)
  })

  it('reads chunked replies and replies that run to the close', async () => {
    const s = await httpServer((req, res) => {
      if (req.url === '/chunked') {
        res.write('{"status":1,')
        setTimeout(() => res.end('"request":"7"}'), 5)
      } else {
        res.socket!.end('HTTP/1.1 200 OK\r\n\r\nOK|99')
      }
    })
    const p = pool()
    expect((await text(p.post(`${s.url}/chunked`, FORM, '', signal()))).text).toBe(
      '{"status":1,"request":"7"}',
    )
    expect((await text(p.post(`${s.url}/close`, FORM, '', signal()))).text).toBe('OK|99')
    expect((await text(p.post(`${s.url}/chunked`, FORM, '', signal()))).text).toBe(
      '{"status":1,"request":"7"}',
    )
  })

  it('fails a bad, oversized or cut-short reply with its own code, and drops that connection', async () => {
    const replies = [
      'HTTP/1.1 200 OK\r\nBad Header SECRET\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc',
    ]
    let connections = 0
    const s = await rawServer((socket) => {
      const reply = replies[connections++]!
      socket.once('data', () => socket.end(reply))
    })
    const p = pool()
    await expect(p.post(s.url, FORM, 'a', signal())).rejects.toMatchObject({ code: 'BAD_HTTP_REPLY' })
    await expect(p.post(s.url, FORM, 'a', signal())).rejects.toMatchObject({ code: 'REPLY_TOO_LARGE' })
    await expect(p.post(s.url, FORM, 'a', signal())).rejects.toMatchObject({ code: 'REPLY_CUT_SHORT' })
    expect(connections).toBe(3)
    await expect(p.post(s.url, FORM, 'a', signal())).rejects.not.toHaveProperty(
      'message',
      expect.stringContaining('SECRET'),
    )
  })

  it('serves a queued call after the connection ahead of it fails on a bad reply', async () => {
    let connections = 0
    const s = await rawServer((socket) => {
      const n = connections++
      socket.once('data', () =>
        n === 0
          ? socket.write('NOT HTTP\r\n\r\n')
          : socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
      )
    })
    const p = pool({ maxConnectionsPerOrigin: 1 })
    const [bad, good] = await Promise.allSettled([
      p.post(s.url, FORM, 'a', signal()),
      text(p.post(s.url, FORM, 'b', signal())),
    ])
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'BAD_HTTP_REPLY' } })
    expect(good).toEqual({ status: 'fulfilled', value: { status: 200, text: 'ok' } })
  })

  it('does not reuse a connection that talks while idle', async () => {
    let connections = 0
    const s = await rawServer((socket) => {
      connections++
      socket.on('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
        setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nextra'), 5)
      })
    })
    const p = pool()
    await p.post(s.url, FORM, 'a', signal())
    await new Promise((r) => setTimeout(r, 30))
    expect((await text(p.post(s.url, FORM, 'a', signal()))).text).toBe('ok')
    expect(connections).toBe(2)
  })

  it('gives up at the signal: mid-reply, and while waiting for a connection', async () => {
    const s = await httpServer((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('late'), 2000)
      else res.end('ok')
    })
    const p = pool({ maxConnectionsPerOrigin: 1 })
    const slow = new AbortController()
    const inFlight = p.post(`${s.url}/slow`, FORM, '', slow.signal)
    const queued = new AbortController()
    const waiting = p.post(`${s.url}/fast`, FORM, '', queued.signal)
    const after = p.post(`${s.url}/fast`, FORM, '', signal())
    const reason = new Error('caller gave up')
    queued.abort(reason)
    await expect(waiting).rejects.toBe(reason)
    while (s.seen.length === 0) await new Promise((r) => setTimeout(r, 5)) // the slow call is on the wire
    const t0 = Date.now()
    slow.abort()
    await expect(inFlight).rejects.toThrow()
    expect(Date.now() - t0).toBeLessThan(500)
    // The aborted call's connection is dropped; the queue moves on to a new one.
    expect((await text(after)).text).toBe('ok')
    expect(s.seen.map((x) => x.url)).toEqual(['/slow', '/fast'])
  })

  it('reports a refused connection by its code, and close() ends calls in flight', async () => {
    const s = await rawServer(() => {})
    const closedPort = await new Promise<number>((resolve) => {
      const tmp = createNetServer().listen(0, '127.0.0.1', () => {
        const port = (tmp.address() as { port: number }).port
        tmp.close(() => resolve(port))
      })
    })
    const p = pool()
    await expect(p.post(`http://127.0.0.1:${closedPort}`, FORM, 'a', signal())).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    })
    const hanging = p.post(s.url, FORM, 'a', signal())
    await new Promise((r) => setTimeout(r, 20))
    p.close()
    await expect(hanging).rejects.toMatchObject({ code: 'REPLY_CUT_SHORT' })
    await expect(p.post(s.url, FORM, 'a', signal())).rejects.toThrow('the client is closed')
  })
})

describe('HTTP/1.1 client pool over TLS', () => {
  async function tlsServer(): Promise<{
    url: string
    caFile: string
    servernames: string[]
    resumed: boolean[]
    dir: string
  }> {
    const dir = mkdtempSync(join(tmpdir(), 'pool-tls-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const ca = await openLocalCa(dir)
    const cert = await ca.issueServerCertificate(['localhost'])
    const caFile = join(dir, 'ca.pem')
    writeFileSync(caFile, ca.info().certPem)
    const servernames: string[] = []
    const resumed: boolean[] = []
    const server = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      const socket = req.socket as TLSSocket
      servernames.push(socket.servername || '')
      resumed.push(socket.isSessionReused())
      req.resume()
      // One request per connection, so every call after the first shows whether the TLS session was resumed.
      req.on('end', () => res.setHeader('connection', 'close').end('{"status":1,"request":"tls"}'))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    cleanups.push(() => server.close())
    cleanups.push(() => server.closeAllConnections())
    return {
      url: `https://localhost:${(server.address() as { port: number }).port}`,
      caFile,
      servernames,
      resumed,
      dir,
    }
  }

  it('verifies the server’s certificate', async () => {
    const s = await tlsServer()
    const p = pool()
    await expect(p.post(`${s.url}/in.php`, FORM, 'a=1', signal())).rejects.toMatchObject({
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    })
  })

  it('talks to a server it trusts (by name, with SNI), resumes its TLS session, and lets the process exit', async () => {
    const s = await tlsServer()
    const script = join(s.dir, 'client.mts')
    const poolModule = join(import.meta.dirname, '../../../electron/engine/http/client/connection-pool.ts')
    writeFileSync(
      script,
      `import { createConnectionPool } from ${JSON.stringify(poolModule)}
const p = createConnectionPool({ maxConnectionsPerOrigin: 2, maxReplyBytes: 1024 })
for (let i = 0; i < 3; i++) {
  const r = await p.post(${JSON.stringify(`${s.url}/in.php`)}, 'application/x-www-form-urlencoded', 'a=' + i, new AbortController().signal)
  console.log(r.status, r.body.toString())
}
`,
    )
    // NODE_EXTRA_CA_CERTS is read at start-up: the way an operator trusts a private CA. The script never closes its
    // pool: it must still exit by itself.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: s.caFile },
      timeout: 20_000,
    })
    expect(stdout.trim().split('\n')).toEqual(Array(3).fill('200 {"status":1,"request":"tls"}'))
    expect(s.servernames).toEqual(['localhost', 'localhost', 'localhost'])
    expect(s.resumed).toEqual([false, true, true])
  })
})
