/**
 * A request's path and query string, parsed once per request. The WHATWG URL parser costs about 10 µs a call on this
 * machine, and a gateway request needed it twice; a plain path (letters, digits, `_`, `-`, dots inside a segment,
 * no query: every in.php/res.php POST) is already what the parser would give, so it is taken as it is. Anything
 * else (a query, percent-escapes, dot segments, `//`, backslashes) goes through the parser.
 */
export interface RequestTarget {
  pathname: string
  /** The query's parameters, or undefined when there is no query. */
  query: URLSearchParams | undefined
}

export function requestTarget(raw: string | undefined): RequestTarget {
  if (raw !== undefined && isPlainPath(raw)) return { pathname: raw, query: undefined }
  const url = new URL(raw ?? '/', 'http://request.invalid')
  return { pathname: url.pathname, query: url.search === '' ? undefined : url.searchParams }
}

const SLASH = 47
const DOT = 46

/**
 * `/`, or `/`-separated segments of word characters and `-` with single dots inside them, and an optional trailing
 * `/`. A scan, not a regular expression: it runs before any key is checked, and a pattern that can split a segment
 * more than one way backtracks for minutes on a long one that fails at its end.
 */
function isPlainPath(raw: string): boolean {
  if (raw.length === 0 || raw.length > 256 || raw.charCodeAt(0) !== SLASH) return false
  let segmentStart = true // just after a `/`
  let afterDot = false
  for (let i = 1; i < raw.length; i++) {
    const c = raw.charCodeAt(i)
    if (c === SLASH || c === DOT) {
      if (segmentStart || afterDot) return false // `//`, a segment starting with a dot, `..`, `./`
      segmentStart = c === SLASH
      afterDot = c === DOT
    } else if (isWordChar(c)) {
      segmentStart = false
      afterDot = false
    } else return false
  }
  return !afterDot
}

function isWordChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 95 /* _ */ ||
    c === 45 /* - */
  )
}
