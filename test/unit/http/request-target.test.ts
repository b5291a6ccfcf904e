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
      '',
      '*',
      'http://example.com/in.php?key=k',
      `/${'a'.repeat(300)}`,
    ]
    for (const raw of cases) expect(ours(raw), raw).toEqual(parsed(raw))
  })

  it('decides a long path that fails at its end at once (no backtracking through the ways to split it)', () => {
    // The check runs before any key is: a regular expression with an optional `/` inside a repeat (this one's first
    // version) tries every split of a segment, 230 ms for 22 letters and a `?` on this machine, doubling with each
    // letter. Lengths that such a pattern still finishes, so a regression fails here instead of hanging the run.
    const shapes = [
      (n: number) => `/${'a'.repeat(n)}?`,
      (n: number) => `${'/a.'.repeat(n)}!`,
      (n: number) => `/${'a-'.repeat(n)}!`,
    ]
    for (const shape of shapes)
      for (let n = 8; n <= 26; n++) {
        const raw = shape(n)
        const started = performance.now()
        expect(ours(raw), raw).toEqual(parsed(raw))
        expect(performance.now() - started, raw).toBeLessThan(50)
      }
  })

  it('matches the parser for any path-like input', () => {
    const segment = fc.stringMatching(/^[a-zA-Z0-9_.%\-\\ ?#&=/]{0,60}$/)
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 5 }), (parts) => {
        const raw = `/${parts.join('/')}`
        expect(ours(raw)).toEqual(parsed(raw))
      }),
      { numRuns: 2_000 },
    )
  })
})
