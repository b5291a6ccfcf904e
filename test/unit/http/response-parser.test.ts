import { describe, expect, it } from 'vitest'
import {
  ResponseError,
  ResponseParser,
  type ParsedResponse,
} from '../../../electron/engine/http/client/response-parser'

const MAX = 1024

/** Feeds the bytes in pieces of `step` (0: all at once); the reply, with `end()` called if it is still open. */
function parse(raw: string | Buffer, step = 0, max = MAX): ParsedResponse {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw
  const parser = new ResponseParser(max)
  const size = step || bytes.length
  for (let i = 0; i < bytes.length; i += size) {
    const reply = parser.push(bytes.subarray(i, i + size))
    if (reply) return reply
  }
  return parser.end()
}

function fault(raw: string, max = MAX): ResponseError {
  try {
    parse(raw, 0, max)
  } catch (err) {
    expect(err).toBeInstanceOf(ResponseError)
    return err as ResponseError
  }
  throw new Error('parsed without a fault')
}

/** Every way of cutting the bytes in two gives the same reply as reading them whole. */
function sameAtEveryCut(raw: string): ParsedResponse {
  const whole = parse(raw)
  const bytes = Buffer.from(raw, 'latin1')
  for (let cut = 1; cut < bytes.length; cut++) {
    const parser = new ResponseParser(MAX)
    const first = parser.push(bytes.subarray(0, cut))
    const reply = first ?? parser.push(bytes.subarray(cut)) ?? parser.end()
    expect({ ...reply, body: reply.body.toString() }, `cut at ${cut}`).toEqual({
      ...whole,
      body: whole.body.toString(),
    })
  }
  return whole
}

describe('HTTP/1.1 reply parser (upstream replies)', () => {
  it('reads a Content-Length body, and keeps the connection', () => {
    const reply = sameAtEveryCut(
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 27\r\n\r\n{"status":1,"request":"42"}',
    )
    expect(reply).toMatchObject({ status: 200, keepAlive: true, keepAliveHintMs: undefined })
    expect(reply.body.toString()).toBe('{"status":1,"request":"42"}')
  })

  it('reads a chunked body with chunk extensions and trailers, at every cut and byte by byte', () => {
    const raw =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;name=value\r\n{"sta\r\n10\r\ntus":1,"request"\r\n6\r\n:"42"}\r\n0\r\nX-Trailer: yes\r\n\r\n'
    const reply = sameAtEveryCut(raw)
    expect(reply.body.toString()).toBe('{"status":1,"request":"42"}')
    expect(reply.keepAlive).toBe(true)
    expect(parse(raw, 1).body.toString()).toBe('{"status":1,"request":"42"}')
  })

  it('takes Transfer-Encoding over Content-Length', () => {
    const reply = parse(
      'HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    )
    expect(reply.body.toString()).toBe('ok')
  })

  it('reads a body that runs to the close, and then does not keep the connection', () => {
    const parser = new ResponseParser(MAX)
    expect(parser.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\nOK|'))).toBeUndefined()
    expect(parser.push(Buffer.from('123'))).toBeUndefined()
    const reply = parser.end()
    expect(reply.body.toString()).toBe('OK|123')
    expect(reply.keepAlive).toBe(false)
  })

  it('keeps the connection as the server says: Connection, HTTP/1.0, the Keep-Alive hint', () => {
    expect(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').keepAlive).toBe(false)
    expect(parse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').keepAlive).toBe(false)
    expect(parse('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n').keepAlive).toBe(
      true,
    )
    const hinted = parse('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n')
    expect(hinted).toMatchObject({ keepAlive: true, keepAliveHintMs: 5000 })
  })

  it('does not reuse a connection whose framing is suspect: Transfer-Encoding with Content-Length, or on HTTP/1.0', () => {
    const both = parse(
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    )
    expect(both).toMatchObject({ keepAlive: false })
    expect(both.body.toString()).toBe('ok')
    const old =
      'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'
    expect(parse(old).keepAlive).toBe(false)
  })

  it('skips interim 1xx replies and reads bodiless 204', () => {
    const reply = parse(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    )
    expect(reply).toMatchObject({ status: 200, keepAlive: true })
    expect(reply.body.toString()).toBe('ok')
    expect(parse('HTTP/1.1 204 No Content\r\n\r\n')).toMatchObject({ status: 204, keepAlive: true })
  })

  it('does not reuse a connection that sent bytes after the reply', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n').keepAlive).toBe(false)
    const parser = new ResponseParser(MAX)
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'))
    expect(() => parser.push(Buffer.from('x'))).toThrow(ResponseError)
  })

  it('refuses malformed replies with its own words, never the upstream’s', () => {
    const secret = 'SECRET-UPSTREAM-TEXT'
    const cases: Array<[string, string]> = [
      [`HTTP/2 200 ${secret}\r\n\r\n`, 'the status line is not HTTP/1.x'],
      [`${secret}\r\n\r\n`, 'the status line is not HTTP/1.x'],
      [`HTTP/1.1 200 OK\r\n${secret}\r\n\r\n`, 'a header line has no name'],
      [`HTTP/1.1 200 OK\r\nBad Name: ${secret}\r\n\r\n`, 'a header name is not a token'],
      [`HTTP/1.1 200 OK\r\n folded: ${secret}\r\n\r\n`, 'a header name is not a token'],
      [`HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n`, 'Content-Length is not a number'],
      [`HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab`, 'two Content-Lengths'],
      [`HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n`, 'a transfer coding other than chunked'],
      [`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`, 'a chunk size is not a hex number'],
      [
        `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n123456789\r\n`,
        'a chunk size is not a hex number',
      ],
      [
        `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n`,
        'a chunk does not end where its size says',
      ],
      [`HTTP/1.1 101 Switching Protocols\r\n\r\n`, 'the server switched protocols'],
    ]
    for (const [raw, message] of cases) {
      const err = fault(raw)
      expect(err.code, raw).toBe('BAD_HTTP_REPLY')
      expect(err.message, raw).toBe(message)
      expect(err.message).not.toContain(secret)
    }
  })

  it('holds every part of a reply to a limit', () => {
    expect(fault(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(17_000)}`).message).toBe('the reply head is too long')
    expect(fault(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(17_000)}\r\n\r\n`).message).toBe(
      'the reply head is too long',
    )
    expect(fault('HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n').code).toBe('REPLY_TOO_LARGE')
    const chunks =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' + `200\r\n${'a'.repeat(512)}\r\n`.repeat(3)
    expect(fault(chunks).code).toBe('REPLY_TOO_LARGE')
    expect(fault(`HTTP/1.1 200 OK\r\n\r\n${'a'.repeat(2000)}`).code).toBe('REPLY_TOO_LARGE')
    // Thousands of one-byte chunks: each costs memory and time out of proportion to its byte.
    const tiny = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' + '1\r\nx\r\n'.repeat(5000)
    expect(fault(tiny, 1_000_000).message).toBe('the reply has too many chunks')
    const longLine = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;${'x'.repeat(2000)}`
    expect(fault(longLine).message).toBe('a chunk size line is too long')
    const trailers = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n${'X: y\r\n'.repeat(3000)}`
    expect(fault(trailers).message).toBe('the trailers are too long')
  })

  it('tells a reply cut short from no reply at all', () => {
    const none = new ResponseParser(MAX)
    expect(none.started).toBe(false)
    expect(() => none.end()).toThrow('no reply')
    const cut = new ResponseParser(MAX)
    cut.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'))
    expect(cut.started).toBe(true)
    expect(() => cut.end()).toThrow('the reply was cut short')
    const chunked = new ResponseParser(MAX)
    chunked.push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n'))
    expect(() => chunked.end()).toThrow(expect.objectContaining({ code: 'REPLY_CUT_SHORT' }))
  })
})
