/**
 * Replies to requests Node's HTTP parser refuses, instead of dropping the connection: 414 for a request line (URL)
 * over 16 KB, 431 for too many or too large headers, 408 for a request that did not arrive in time, 400 for anything
 * malformed. Clients then see a status they can report rather than a reset.
 */
import type { Socket } from 'node:net'

const REQUEST_LINE_LIMIT = 16 * 1024

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
}

function clientErrorStatus(err: Error & { code?: string; rawPacket?: Buffer }): number | null {
  switch (err.code) {
    case 'ECONNRESET':
    case 'EPIPE':
      return null
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return 408
    case 'HPE_HEADER_OVERFLOW': {
      const raw = err.rawPacket
      const lineEnd = raw ? raw.indexOf(0x0a) : -1
      return lineEnd < 0 || lineEnd > REQUEST_LINE_LIMIT ? 414 : 431
    }
    default:
      return 400
  }
}

/** A 'clientError' listener for node:http / node:https servers. */
export function answerClientError(err: Error & { code?: string; rawPacket?: Buffer }, socket: Socket): void {
  const status = clientErrorStatus(err)
  if (status === null || !socket.writable) {
    socket.destroy()
    return
  }
  const body = `${status} ${REASONS[status]}`
  socket.end(
    `HTTP/1.1 ${body}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}
