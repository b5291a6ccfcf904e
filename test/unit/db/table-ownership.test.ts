/**
 * Each component owns its tables: the folder whose code says `CREATE TABLE x` is the only production folder whose
 * SQL names x. Everyone else goes through that component's interface (e.g. billing reads the ledger's methods).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { describe, expect, it } from 'vitest'

const ENGINE = join(import.meta.dirname, '../../../electron/engine')

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

const folderOf = (file: string): string => relative(ENGINE, file).split(sep)[0]!
/** SQL string literals only (quotes and template strings), so prose in comments does not count. */
const sqlOf = (text: string): string =>
  (text.match(/`[^`]*`|'[^'\n]*'|"[^"\n]*"/g) ?? [])
    .filter((s) => /\b(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP)\b/.test(s))
    .join('\n')

describe('table ownership', () => {
  const files = sources(ENGINE).map((f) => ({
    folder: folderOf(f),
    file: f,
    sql: sqlOf(readFileSync(f, 'utf8')),
  }))
  const owners = new Map<string, string>()
  for (const f of files)
    for (const m of f.sql.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/g)) {
      const prior = owners.get(m[1]!)
      expect(prior === undefined || prior === f.folder, `${m[1]} created in ${prior} and ${f.folder}`).toBe(
        true,
      )
      owners.set(m[1]!, f.folder)
    }

  it('finds the tables and their owners', () => {
    expect(owners.get('attempts')).toBe('ledger')
    expect(owners.get('invoices')).toBe('billing')
    expect(owners.get('alerts')).toBe('alerts')
    expect(owners.get('alert_acks')).toBe('alerts')
    expect(owners.get('balance_checks')).toBe('balances')
    expect(owners.get('audit_log')).toBe('audit')
    expect(owners.get('schema_versions')).toBe('db')
  })

  it('no production file names another component’s table in its SQL', () => {
    const trespass: string[] = []
    for (const f of files)
      for (const m of f.sql.matchAll(/\b(?:FROM|INTO|UPDATE|JOIN|ON|TABLE(?: IF NOT EXISTS)?)\s+(\w+)/g)) {
        const owner = owners.get(m[1]!)
        if (owner && owner !== f.folder && owner !== 'db')
          trespass.push(`${relative(ENGINE, f.file)} → ${m[1]}`)
      }
    expect(trespass).toEqual([])
  })
})
