/**
 * Reads the protocol's parameters from a request: the query string, an urlencoded body, or a multipart body
 * (the `file` field of method=post becomes `body` in base64). Later sources override earlier ones.
 */
import type { IncomingMessage } from 'node:http'
import busboy from 'busboy'
import { requestTarget, type RequestTarget } from './request-target'

export class RequestTooLargeError extends Error {
  override name = 'RequestTooLargeError'
}
export class MalformedRequestError extends Error {
  override name = 'MalformedRequestError'
}

export interface ParsedRequest {
  path: string
  params: Record<string, string>
}

/** `target`: the request's path and query when the caller has parsed them already. */
export async function readRequestParams(
  req: IncomingMessage,
  maxBytes: number,
  target: RequestTarget = requestTarget(req.url),
): Promise<ParsedRequest> {
  const params: Record<string, string> = Object.create(null) as Record<string, string>
  if (target.query) for (const [k, v] of target.query) params[k] = v
  if (req.method === 'POST' || req.method === 'PUT') {
    const type = (req.headers['content-type'] ?? '').toLowerCase()
    if (type.startsWith('multipart/form-data')) await readMultipart(req, params, maxBytes)
    else {
      const body = await readBody(req, maxBytes)
      const text = body.toString('utf8')
      if (type.includes('application/json')) {
        let parsed: unknown
        try {
          parsed = JSON.parse(text)
        } catch {
          throw new MalformedRequestError('body is not valid JSON')
        }
        copyScalars(parsed, params)
      } else if (!type.includes('application/x-www-form-urlencoded') && looksLikeJsonObject(text)) {
        // Some clients (the `2captcha` npm package) post a JSON object as text/plain or with no type at all.
        copyScalars(JSON.parse(text), params)
      } else {
        for (const [k, v] of new URLSearchParams(text)) params[k] = v
      }
    }
  }
  return { path: target.pathname, params }
}

function looksLikeJsonObject(text: string): boolean {
  if (!/^\s*\{/.test(text)) return false
  try {
    const parsed: unknown = JSON.parse(text)
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
  } catch {
    return false
  }
}

/** A JSON object's string, number and boolean fields; nested values are not protocol parameters. */
function copyScalars(parsed: unknown, params: Record<string, string>): void {
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return
  for (const [k, v] of Object.entries(parsed)) if (v !== null && typeof v !== 'object') params[k] = String(v)
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
        reject(new RequestTooLargeError(`request body over ${maxBytes} bytes`))
        req.pause()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function readMultipart(
  req: IncomingMessage,
  params: Record<string, string>,
  maxBytes: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy
    try {
      bb = busboy({
        headers: req.headers,
        limits: { fileSize: maxBytes, fieldSize: maxBytes, files: 4, fields: 200 },
      })
    } catch (err) {
      reject(new MalformedRequestError((err as Error).message))
      return
    }
    let failed = false
    const fail = (err: Error): void => {
      if (failed) return
      failed = true
      req.unpipe(bb)
      req.resume()
      reject(err)
    }
    bb.on('field', (name, value) => {
      params[name] = value
    })
    bb.on('file', (name, stream) => {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('limit', () => fail(new RequestTooLargeError(`file over ${maxBytes} bytes`)))
      stream.on('end', () => {
        if (name === 'file' || name === 'body') params.body = Buffer.concat(chunks).toString('base64')
      })
    })
    bb.on('error', (err) => fail(new MalformedRequestError((err as Error).message)))
    bb.on('close', () => {
      if (!failed) resolve()
    })
    req.pipe(bb)
  })
}
