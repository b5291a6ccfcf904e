/** Writes an in.php/res.php reply the way the upstream does: JSON `{status, request}` or plain `OK|…` / `ERROR_…`. */
import type { ServerResponse } from 'node:http'

export interface ProtocolReply {
  status: 0 | 1
  request: string | number
  error_text?: string
}

export function sendProtocolReply(res: ServerResponse, reply: ProtocolReply, json: boolean): void {
  if (res.headersSent || res.destroyed) return
  if (json) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply))
    return
  }
  const request = String(reply.request)
  const text = reply.status === 1 && !request.startsWith('OK_') ? `OK|${request}` : request
  res.writeHead(200, { 'content-type': 'text/plain' }).end(text)
}
