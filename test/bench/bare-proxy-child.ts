/**
 * The floor under the gateway bench: a bare Node.js HTTP proxy in a process of its own that forwards each in.php to
 * the upstream and hands the reply back, with node:http on both sides (keep-alive) and nothing else — no key check,
 * no admission, no ledger, no task store, no validation. What it adds and the CPU it burns per request are what any
 * Node.js gateway costs on this machine before it does its own work. Prints "listening on URL"; SIGTERM ends it
 * (the bench reads its CPU time from /proc).
 */
import { Agent, createServer, request } from 'node:http'

const upstream = new URL(process.argv[2]!)
const agent = new Agent({ keepAlive: true, maxSockets: 1024 })

const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const body = Buffer.concat(chunks)
    const up = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length },
      },
      (reply) => {
        const parts: Buffer[] = []
        reply.on('data', (c: Buffer) => parts.push(c))
        reply.on('end', () => {
          const text = Buffer.concat(parts)
          res.writeHead(reply.statusCode ?? 502, {
            'content-type': 'application/json',
            'content-length': text.length,
          })
          res.end(text)
        })
      },
    )
    up.on('error', () => {
      res.writeHead(502)
      res.end()
    })
    up.end(body)
  })
})

server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number }
  console.log(`listening on http://127.0.0.1:${address.port}`)
})
