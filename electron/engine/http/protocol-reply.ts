/**
 * Writes an in.php/res.php reply the way the upstream does: JSON `{status, request, error_text?}` only when the caller
 * asked for json=1, plain `OK|…` / `ERROR_…` otherwise. `header_acao=1` adds `Access-Control-Allow-Origin: *` so
 * browser-side clients can read the reply (auth is by key in the parameters, never by cookies).
 */
import type { ServerResponse } from 'node:http'
import { errorText } from './error-texts'
import { sendBody } from './send-body'

export interface ProtocolReply {
  status: 0 | 1
  request: string | number
  error_text?: string
}

export interface ReplyOptions {
  /** The caller sent header_acao=1. */
  acao?: boolean
}

export function sendProtocolReply(
  res: ServerResponse,
  reply: ProtocolReply,
  json: boolean,
  options: ReplyOptions = {},
): void {
  if (res.headersSent || res.destroyed) return
  const cors: Record<string, string> = options.acao ? { 'access-control-allow-origin': '*' } : {}
  if (json) {
    const text =
      reply.status === 0 && reply.error_text === undefined ? errorText(String(reply.request)) : undefined
    const body = text === undefined ? reply : { ...reply, error_text: text }
    sendBody(res, 200, { 'content-type': 'application/json', ...cors }, JSON.stringify(body))
    return
  }
  const request = String(reply.request)
  const text = reply.status === 1 && !request.startsWith('OK_') ? `OK|${request}` : request
  sendBody(res, 200, { 'content-type': 'text/plain', ...cors }, text)
}

/** Whether the request's query string alone asks for JSON (for replies before the body could be read). */
export function queryAsksJson(url: string | undefined): boolean {
  try {
    return new URL(url ?? '/', 'http://gateway.invalid').searchParams.get('json') === '1'
  } catch {
    return false
  }
}

/** A CORS preflight: answered for any origin (the API authenticates by key, never by ambient credentials). */
export function sendPreflight(res: ServerResponse, methods = 'GET, POST, OPTIONS'): void {
  res
    .writeHead(204, {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': methods,
      'access-control-allow-headers': 'content-type, accept',
      'access-control-max-age': '600',
    })
    .end()
}
