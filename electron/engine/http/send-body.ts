/**
 * A whole reply in one piece: status, headers, and the body with its Content-Length. `writeHead(…).end(body)`
 * without a length goes out chunked (the head, the chunk and its terminator: a writev of three buffers per reply), a
 * framing no CaptchaAI or 2captcha reply uses; with the length node:http sends head and body in a single write.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'

export function sendBody(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body = ''): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) }).end(body)
}
