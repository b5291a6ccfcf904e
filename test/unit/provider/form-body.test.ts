import { describe, expect, it } from 'vitest'
import { formBody } from '../../../electron/engine/provider/upstream-http'

const decoded = (body: string): Array<[string, string]> => [...new URLSearchParams(body)]

describe('the protocol form as sent upstream', () => {
  it('decodes to exactly what URLSearchParams would have sent, json=1 last', () => {
    const params = {
      key: 'a'.repeat(32),
      method: 'base64',
      body: 'iVBORw0KGgo+/AAA==',
      textinstructions: 'Type the letters & numbers = "ab+c" 100% ~*!\'() ünïcödé 😀 中文',
      'odd key&=': ' spaced  out ',
      empty: '',
    }
    const body = formBody(params)
    expect(decoded(body)).toEqual(decoded(new URLSearchParams({ ...params, json: '1' }).toString()))
    expect(body.endsWith('&json=1')).toBe(true)
    expect(body).not.toMatch(/\s/) // no raw whitespace on the wire
    expect(body).toContain('body=iVBORw0KGgo%2B%2FAAA%3D%3D')
    expect(body).toContain('odd+key%26%3D=+spaced++out+')
  })

  it('sends json=1 once, whatever the caller put under json', () => {
    expect(decoded(formBody({ json: '0', id: '7' }))).toEqual([
      ['id', '7'],
      ['json', '1'],
    ])
  })

  it('turns a lone surrogate (hostile input) into U+FFFD as URLSearchParams does, instead of throwing', () => {
    const params = { pageurl: 'https://example.com/\uD800x', googlekey: '\uDC00' }
    expect(() => encodeURIComponent(params.pageurl)).toThrow(URIError)
    expect(decoded(formBody(params))).toEqual(
      decoded(new URLSearchParams({ ...params, json: '1' }).toString()),
    )
    expect(decoded(formBody(params))[0]).toEqual(['pageurl', 'https://example.com/\uFFFDx'])
  })
})
