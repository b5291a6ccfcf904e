import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { requestTarget } from '../../../electron/engine/http/request-target'

/** What the WHATWG URL parser makes of a request target (or that it refuses it): the reference to match. */
const parsed = (raw: string) => {
  try {
    const url = new URL(raw, 'http://request.invalid')
    return { pathname: url.pathname, query: [...url.searchParams] }
  } catch {
    return 'invalid'
  }
}
const ours = (raw: string) => {
  try {
    const t = requestTarget(raw)
    return { pathname: t.pathname, query: t.query ? [...t.query] : [] }
  } catch {
    return 'invalid'
  }
}

describe('request target', () => {
  it('gives what the URL parser gives, for plain paths and for the tricky ones', () => {
    const cases = [
      '/in.php',
      '/res.php',
      '/in.php/',
      '/a/b.c/d',
      '/createTask',
      '/in.php?key=k&method=post',
      '/in.php?',
      '/./in.php',
      '/a/../in.php',
      '/a/..',
      '/.',
      '//in.php',
      '/in%2Ephp',
      '/in.php#frag',
      '/a\\b',
      '/a b',
      '/é',
      '/a..b/c.',
      '/.hidden',
      '/a.',
      '/',
      '/\\',
    ]
    for (const raw of cases) expect(ours(raw), raw).toEqual(parsed(raw))
  })

  it('matches the parser for any path-like input', () => {
    const segment = fc.stringMatching(/^[a-zA-Z0-9_.%\-\\ ?#&=/]{0,12}$/)
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 5 }), (parts) => {
        const raw = `/${parts.join('/')}`
        expect(ours(raw)).toEqual(parsed(raw))
      }),
      { numRuns: 2_000 },
    )
  })
})
