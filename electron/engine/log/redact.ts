/** The one redaction rule for everything written down: the audit log and the log file. */
/**
 * Values shaped like upstream or gateway keys: a run of 32 or more letters and digits, also when glued to other
 * text by `_`, `-` or `=` (e.g. "label_<key>"). Fields named like secrets are redacted whole, with everything below.
 */
const KEYLIKE = /(?<![A-Za-z0-9])[A-Za-z0-9]{32,}(?![A-Za-z0-9])/g
const SECRET_FIELD = /(key|secret|passphrase|password|token)$/i
const REDACTED = '[redacted]'

/** Replaces key-shaped runs in a string; says whether it did. */
export function scrubString(v: string): { text: string; hit: boolean } {
  const text = v.replace(KEYLIKE, REDACTED)
  return { text, hit: text !== v }
}

export function redactSecrets(value: unknown, path = ''): { value: unknown; redacted: string[] } {
  const redacted: string[] = []
  const walk = (v: unknown, p: string, depth: number, secret: boolean): unknown => {
    if (depth > 8) return '[too deep]'
    if (typeof v === 'string') {
      if (secret && v.length > 0) {
        redacted.push(p)
        return REDACTED
      }
      const { text, hit } = scrubString(v)
      if (hit) redacted.push(p)
      return text.length > 2000 ? `${text.slice(0, 2000)}…` : text
    }
    if (Array.isArray(v)) return v.slice(0, 100).map((x, i) => walk(x, `${p}[${i}]`, depth + 1, secret))
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {}
      for (const [rawKey, x] of Object.entries(v)) {
        // A key can hide in a property name too (e.g. a map keyed by API key).
        const { text: k, hit } = scrubString(rawKey)
        const childPath = p ? `${p}.${k}` : k
        if (hit) redacted.push(childPath)
        out[k] = walk(x, childPath, depth + 1, secret || hit || SECRET_FIELD.test(rawKey))
      }
      return out
    }
    return v
  }
  return { value: walk(value, path, 0, false), redacted }
}
