/**
 * An HTTP/1.1 response read from a client connection, bytes in as they arrive (RFC 9112): the status line, the
 * headers that frame the body (Content-Length, Transfer-Encoding: chunked, or the body running to the close), and
 * whether the connection can carry another request. Upstream replies are hostile input: the head, the body, a chunk
 * size line and the trailers each have a limit, and anything malformed ends the exchange with an error whose text is
 * ours, never the upstream's.
 */

export interface ParsedResponse {
  status: number
  body: Buffer
  /** The connection may carry the next request. */
  keepAlive: boolean
  /** The server's `Keep-Alive: timeout=N` hint, in ms. */
  keepAliveHintMs: number | undefined
}

/** A reply that breaks the protocol or a limit. `code` names the fault; the upstream's text is never part of it. */
export class ResponseError extends Error {
  constructor(
    readonly code: 'BAD_HTTP_REPLY' | 'REPLY_TOO_LARGE' | 'REPLY_CUT_SHORT',
    detail: string,
  ) {
    super(detail)
    this.name = 'ResponseError'
  }
}

/** Node's own limit for a message head. */
const MAX_HEAD_BYTES = 16 * 1024
const MAX_CHUNK_LINE_BYTES = 1024
const MAX_TRAILER_BYTES = 16 * 1024
/** A protocol reply is one or a few chunks; thousands of tiny ones only cost memory and time per chunk. */
const MAX_CHUNKS = 4096
const EMPTY = Buffer.alloc(0)
const CRLF_CRLF = Buffer.from('\r\n\r\n')
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/
const HEX_SIZE = /^[0-9A-Fa-f]{1,8}$/

/** Where the reader is: the head; a Content-Length body; a chunk's size line, data, or the CRLF after its data; the
 * trailers; a body that runs to the close; done. */
type State = 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'until-close' | 'done'

interface Framing {
  status: number
  keepAlive: boolean
  keepAliveHintMs: number | undefined
  chunked: boolean
  length: number | undefined
}

export class ResponseParser {
  private state: State = 'head'
  /** Bytes received but not yet consumed. */
  private pending: Buffer = EMPTY
  private readonly parts: Buffer[] = []
  private bodyBytes = 0
  private remaining = 0 // of the Content-Length body, or of the current chunk
  private trailerBytes = 0
  private chunks = 0
  private framing: Framing | undefined
  /** Whether any byte of a reply has arrived. */
  started = false

  constructor(private readonly maxBodyBytes: number) {}

  /** Feeds the next bytes: the reply once it is whole, else undefined. Throws a ResponseError on a bad reply. */
  push(chunk: Buffer): ParsedResponse | undefined {
    if (chunk.length === 0) return undefined
    this.started = true
    if (this.state === 'done') throw new ResponseError('BAD_HTTP_REPLY', 'bytes after the reply')
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    return this.advance()
  }

  /** The connection has ended: the reply, when its body runs to the close; otherwise the reply was cut short. */
  end(): ParsedResponse {
    if (this.state === 'until-close') {
      this.state = 'done'
      return this.result(false)
    }
    throw new ResponseError('REPLY_CUT_SHORT', this.started ? 'the reply was cut short' : 'no reply')
  }

  private advance(): ParsedResponse | undefined {
    for (;;) {
      switch (this.state) {
        case 'head':
          if (!this.readHead()) return undefined
          if ((this.state as State) === 'done') return this.finish() // 204 and 304 have no body
          break
        case 'body':
          return this.takeRemaining() ? this.finish() : undefined
        case 'chunk-size': {
          const line = this.readLine(MAX_CHUNK_LINE_BYTES, 'a chunk size line is too long')
          if (line === undefined) return undefined
          const size = line.split(';', 1)[0]!.trim()
          if (!HEX_SIZE.test(size))
            throw new ResponseError('BAD_HTTP_REPLY', 'a chunk size is not a hex number')
          this.remaining = parseInt(size, 16)
          if (++this.chunks > MAX_CHUNKS)
            throw new ResponseError('BAD_HTTP_REPLY', 'the reply has too many chunks')
          this.state = this.remaining === 0 ? 'trailers' : 'chunk-data'
          if (this.bodyBytes + this.remaining > this.maxBodyBytes)
            throw new ResponseError('REPLY_TOO_LARGE', 'the reply is larger than any protocol answer')
          break
        }
        case 'chunk-data':
          if (!this.takeRemaining()) return undefined
          this.state = 'chunk-end'
          break
        case 'chunk-end':
          if (this.pending.length < 2) return undefined
          if (this.pending[0] !== 13 || this.pending[1] !== 10)
            throw new ResponseError('BAD_HTTP_REPLY', 'a chunk does not end where its size says')
          this.pending = this.pending.subarray(2)
          this.state = 'chunk-size'
          break
        case 'trailers': {
          const line = this.readLine(MAX_TRAILER_BYTES - this.trailerBytes, 'the trailers are too long')
          if (line === undefined) return undefined
          this.trailerBytes += line.length + 2
          if (line === '') return this.finish()
          break
        }
        case 'until-close':
          this.keep(this.pending)
          this.pending = EMPTY
          return undefined
        case 'done':
          return undefined
      }
    }
  }

  /** Reads one head (skipping 1xx interim replies). False while the head is incomplete. */
  private readHead(): boolean {
    const end = this.pending.indexOf(CRLF_CRLF)
    if (end < 0) {
      if (this.pending.length > MAX_HEAD_BYTES)
        throw new ResponseError('BAD_HTTP_REPLY', 'the reply head is too long')
      return false
    }
    if (end > MAX_HEAD_BYTES) throw new ResponseError('BAD_HTTP_REPLY', 'the reply head is too long')
    const head = this.pending.toString('latin1', 0, end)
    this.pending = this.pending.subarray(end + 4)
    const framing = parseHead(head)
    if (framing.status < 200) {
      if (framing.status === 101) throw new ResponseError('BAD_HTTP_REPLY', 'the server switched protocols')
      return true // 100 Continue, 103 Early Hints…: the reply follows
    }
    this.framing = framing
    if (framing.status === 204 || framing.status === 304) this.state = 'done'
    else if (framing.chunked) this.state = 'chunk-size'
    else if (framing.length !== undefined) {
      if (framing.length > this.maxBodyBytes)
        throw new ResponseError('REPLY_TOO_LARGE', 'the reply is larger than any protocol answer')
      this.remaining = framing.length
      this.state = 'body'
    } else this.state = 'until-close'
    return true
  }

  /** One CRLF-ended line (without the CRLF), or undefined until it has arrived. */
  private readLine(maxBytes: number, tooLong: string): string | undefined {
    const end = this.pending.indexOf('\r\n')
    if (end < 0) {
      if (this.pending.length > maxBytes) throw new ResponseError('BAD_HTTP_REPLY', tooLong)
      return undefined
    }
    if (end > maxBytes) throw new ResponseError('BAD_HTTP_REPLY', tooLong)
    const line = this.pending.toString('latin1', 0, end)
    this.pending = this.pending.subarray(end + 2)
    return line
  }

  /** Keeps what has arrived of the `remaining` bytes (of the body, or of a chunk): true once all of them are in. */
  private takeRemaining(): boolean {
    const take = Math.min(this.remaining, this.pending.length)
    this.keep(this.pending.subarray(0, take))
    this.pending = this.pending.subarray(take)
    this.remaining -= take
    return this.remaining === 0
  }

  private keep(bytes: Buffer): void {
    if (bytes.length === 0) return
    this.bodyBytes += bytes.length
    if (this.bodyBytes > this.maxBodyBytes)
      throw new ResponseError('REPLY_TOO_LARGE', 'the reply is larger than any protocol answer')
    this.parts.push(bytes)
  }

  private finish(): ParsedResponse {
    this.state = 'done'
    // Bytes after a whole reply were never asked for: the connection is not used again.
    const clean = this.pending.length === 0
    this.pending = EMPTY
    return this.result(clean && this.framing!.keepAlive)
  }

  private result(keepAlive: boolean): ParsedResponse {
    const body = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts)
    return { status: this.framing!.status, body, keepAlive, keepAliveHintMs: this.framing!.keepAliveHintMs }
  }
}

function parseHead(head: string): Framing {
  const lines = head.split('\r\n')
  const m = STATUS_LINE.exec(lines[0]!)
  if (!m) throw new ResponseError('BAD_HTTP_REPLY', 'the status line is not HTTP/1.x')
  const http10 = m[1] === '0'
  let keepAlive = !http10
  let keepAliveHintMs: number | undefined
  let length: number | undefined
  let transferEncoding: string | undefined
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!
    const colon = line.indexOf(':')
    if (colon <= 0) throw new ResponseError('BAD_HTTP_REPLY', 'a header line has no name')
    const name = line.slice(0, colon)
    if (!TOKEN.test(name)) throw new ResponseError('BAD_HTTP_REPLY', 'a header name is not a token')
    const value = line.slice(colon + 1).trim()
    if (value.includes('\n') || value.includes('\r'))
      throw new ResponseError('BAD_HTTP_REPLY', 'a bare CR or LF')
    switch (name.toLowerCase()) {
      case 'content-length': {
        if (!/^\d{1,15}$/.test(value))
          throw new ResponseError('BAD_HTTP_REPLY', 'Content-Length is not a number')
        const n = Number(value)
        if (length !== undefined && length !== n)
          throw new ResponseError('BAD_HTTP_REPLY', 'two Content-Lengths')
        length = n
        break
      }
      case 'transfer-encoding':
        transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`
        break
      case 'connection': {
        const tokens = value
          .toLowerCase()
          .split(',')
          .map((t) => t.trim())
        if (tokens.includes('close')) keepAlive = false
        else if (http10 && tokens.includes('keep-alive')) keepAlive = true
        break
      }
      case 'keep-alive': {
        const t = /(?:^|[\s,])timeout=(\d{1,6})(?:$|[\s,])/i.exec(value)
        if (t) keepAliveHintMs = Number(t[1]) * 1000
        break
      }
    }
  }
  let chunked = false
  if (transferEncoding !== undefined) {
    // Only what a client that sends no Accept-Encoding or TE can be sent: chunked, alone.
    if (transferEncoding.toLowerCase() !== 'chunked')
      throw new ResponseError('BAD_HTTP_REPLY', 'a transfer coding other than chunked')
    chunked = true
    // RFC 9112 §6.1, §6.3: Transfer-Encoding overrides Content-Length; with both, or on HTTP/1.0, the framing is
    // suspect (a smuggling attempt), so the connection is not used again.
    if (length !== undefined || http10) keepAlive = false
    length = undefined
  }
  const status = Number(m[2])
  // A body that runs to the close cannot leave the connection for another request (204 and 304 have no body).
  if (!chunked && length === undefined && status !== 204 && status !== 304) keepAlive = false
  return { status, keepAlive, keepAliveHintMs, chunked, length }
}
