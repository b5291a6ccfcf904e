/**
 * Checks shared by every server speaking in.php/res.php (the Sandbox and the tenant gateway): header_acao, error_text,
 * plain text unless json=1, 414/431 replies instead of dropped connections, the JSON-as-text/plain image post.
 */
import { connect } from 'node:net'
import { expect } from 'vitest'
import { makePng } from './images'

/** Sends raw bytes and returns what came back before the server closed the connection. */
export function rawExchange(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request))
    let reply = ''
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => (reply += d))
    socket.on('close', () => resolve(reply))
    socket.on('error', reject)
    socket.setTimeout(10_000, () => socket.destroy(new Error('no reply within 10 s')))
  })
}

export async function checkV1Gaps(url: string, key: string): Promise<void> {
  // header_acao=1: the CORS header browser-side clients need; not sent otherwise.
  const withAcao = await fetch(`${url}/res.php?key=${key}&action=getbalance&header_acao=1`)
  expect(withAcao.headers.get('access-control-allow-origin')).toBe('*')
  expect(await withAcao.text()).toMatch(/^OK\|\d/)
  const without = await fetch(`${url}/res.php?key=${key}&action=getbalance`)
  expect(without.headers.get('access-control-allow-origin')).toBeNull()
  await without.text()

  // JSON errors carry error_text; plain-text errors are the bare code.
  const jsonErr = (await (await fetch(`${url}/res.php?key=${key}&action=get&id=1&json=1`)).json()) as {
    status: number
    request: string
    error_text?: string
  }
  expect(jsonErr).toMatchObject({ status: 0, request: 'ERROR_WRONG_CAPTCHA_ID' })
  expect(jsonErr.error_text).toMatch(/\S/)
  const plainErr = await fetch(`${url}/res.php?key=${key}&action=get&id=1`)
  expect(plainErr.headers.get('content-type')).toMatch(/text\/plain/)
  expect(await plainErr.text()).toBe('ERROR_WRONG_CAPTCHA_ID')

  // A malformed JSON body: plain text unless the query asked for json=1.
  const badJson = await fetch(`${url}/in.php?key=${key}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"method": ',
  })
  expect(await badJson.text()).toBe('ERROR_BAD_PARAMETERS')
  const badJson1 = await fetch(`${url}/in.php?key=${key}&json=1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"method": ',
  })
  expect(await badJson1.json()).toMatchObject({ status: 0, request: 'ERROR_BAD_PARAMETERS' })

  // The `2captcha` npm package's image post: the query carries method=base64, the body is JSON sent as text/plain.
  const image = await fetch(`${url}/in.php?key=${key}&method=base64&json=1`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8' },
    body: JSON.stringify({ body: makePng().toString('base64') }),
  })
  expect(await image.json()).toMatchObject({ status: 1, request: expect.stringMatching(/^\d+$/) })

  // A URL over 16 KB, and too many header bytes: a status line, not a reset.
  const longUrl = await rawExchange(
    url,
    `GET /res.php?key=${key}&action=getbalance&pad=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  )
  expect(longUrl).toMatch(/^HTTP\/1\.1 414 /)
  const headers = Array.from({ length: 300 }, (_, i) => `X-Pad-${i}: ${'b'.repeat(80)}\r\n`).join('')
  const manyHeaders = await rawExchange(url, `GET /res.php HTTP/1.1\r\nHost: x\r\n${headers}\r\n`)
  expect(manyHeaders).toMatch(/^HTTP\/1\.1 431 /)
  const garbage = await rawExchange(url, 'NOT HTTP AT ALL\r\n\r\n')
  expect(garbage).toMatch(/^HTTP\/1\.1 400 /)
}
