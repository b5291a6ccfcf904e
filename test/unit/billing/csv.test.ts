import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import Papa from 'papaparse'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { formatMoney } from '@shared/money'
import { commitAll, CsvFileWriter, neutralise, parseCsv, restore } from '../../../electron/engine/billing/csv'
import {
  fastMoneyFormatter,
  isoSeconds,
  localTimestampFormatter,
  secondsFromMs,
  utcTimestampFormatter,
} from '../../../electron/engine/billing/local-time-formatter'
import { localDateTimeOf, offsetAt } from '../../../electron/engine/time/zoned'
import { INJECTION_PAYLOADS } from './payloads'

let dir: string
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'csv-'))))
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('injection rule', () => {
  it('prefixes exactly the dangerous first characters with one quote', () => {
    for (const c of ['=', '+', '-', '@', '\t', '\r', "'"]) expect(neutralise(`${c}x`)).toBe(`'${c}x`)
    for (const s of ['x=1', ' =1', '1-2', '', 'é', '"=1']) expect(neutralise(s)).toBe(s)
  })

  it('restore(neutralise(s)) === s for every string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => restore(neutralise(s)) === s),
      { numRuns: 2000 },
    )
    for (const s of INJECTION_PAYLOADS) expect(restore(neutralise(s))).toBe(s)
  })

  it('no written text cell begins with a formula character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => !/^[=+\-@\t\r]/.test(neutralise(s))),
      { numRuns: 2000 },
    )
  })
})

describe('CsvFileWriter', () => {
  it('writes RFC 4180 (CRLF, quoted fields) that papaparse reads back field for field', async () => {
    const rows = fc.sample(
      fc.array(fc.string({ unit: 'binary', maxLength: 20 }), { minLength: 3, maxLength: 3 }),
      300,
    )
    rows.push(INJECTION_PAYLOADS.slice(0, 3), INJECTION_PAYLOADS.slice(3, 6), INJECTION_PAYLOADS.slice(6, 9))
    rows.push(INJECTION_PAYLOADS.slice(9, 12), INJECTION_PAYLOADS.slice(12, 15), [
      INJECTION_PAYLOADS[15]!,
      'a',
      'b',
    ])
    const path = join(dir, 'out.csv')
    const w = new CsvFileWriter(path, ['a', 'b', 'c'], { chunkRows: 7 }) // small chunks: many unparse calls
    for (const r of rows) await w.row(r)
    await w.commit()
    const text = readFileSync(path, 'utf8')
    expect(text.endsWith('\r\n')).toBe(true)
    expect(text.startsWith('a,b,c\r\n')).toBe(true)
    const raw = Papa.parse<string[]>(text, { skipEmptyLines: false }).data
    expect(raw.pop()).toEqual(['']) // the final CRLF
    expect(raw.length).toBe(rows.length + 1)
    for (const row of raw.slice(1)) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/)
    expect(raw.slice(1).map((r) => r.map(restore))).toEqual(rows)
    expect(parseCsv(text).slice(1)).toEqual(rows)
    expect(readdirSync(dir)).toEqual(['out.csv'])
  })

  it('number cells are written verbatim, text cells neutralised', async () => {
    const path = join(dir, 'n.csv')
    const w = new CsvFileWriter(path, ['x', 'y'])
    await w.row([{ number: '-1.500000' }, '-1.5'])
    await w.commit()
    expect(readFileSync(path, 'utf8')).toBe("x,y\r\n-1.500000,'-1.5\r\n")
  })

  it('an aborted or failed export leaves no file and no temp file behind', async () => {
    const a = new CsvFileWriter(join(dir, 'a.csv'), ['x'])
    const b = new CsvFileWriter(join(dir, 'b.csv'), ['x'])
    await a.row(['1'])
    await a.abort()
    await b.abort()
    expect(readdirSync(dir)).toEqual([])
    const missing = new CsvFileWriter(join(dir, 'no-such-folder', 'c.csv'), ['x'])
    const ok = new CsvFileWriter(join(dir, 'ok.csv'), ['x'])
    await expect(commitAll([ok, missing])).rejects.toThrow()
    expect(existsSync(join(dir, 'ok.csv'))).toBe(false)
    expect(readdirSync(dir)).toEqual([])
  })
})

describe('fast formatters', () => {
  it('money and thread-seconds equal the exact slow forms', () => {
    const fmt = fastMoneyFormatter()
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (m) => fmt(m) === formatMoney(m, 6)),
      { numRuns: 3000 },
    )
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 12 }),
        (ms) => secondsFromMs(ms) === (ms / 1000).toFixed(3),
      ),
      { numRuns: 3000 },
    )
    expect(() => fmt(-1)).toThrow()
  })

  it('UTC and local timestamps agree with Intl, across DST changes', () => {
    const utc = utcTimestampFormatter()
    for (const tz of ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'UTC']) {
      const local = localTimestampFormatter(tz)
      const from = Date.parse('2026-03-01T00:00:00Z')
      fc.assert(
        fc.property(fc.integer({ min: from, max: from + 300 * 86_400_000 }), (ms) => {
          const s = local(ms)
          const off = offsetAt(ms, tz) / 60_000
          const sign = off >= 0 ? '+' : '-'
          const hh = String(Math.floor(Math.abs(off) / 60)).padStart(2, '0')
          const mm = String(Math.abs(off) % 60).padStart(2, '0')
          return (
            s ===
              `${localDateTimeOf(ms, tz).replace(' ', 'T')}.${String(ms % 1000).padStart(3, '0')}${sign}${hh}:${mm}` &&
            utc(ms) === new Date(ms).toISOString() &&
            Date.parse(s) === ms
          )
        }),
        { numRuns: 400 },
      )
    }
    expect(isoSeconds(Date.parse('2026-10-31T23:00:00Z'), 'Europe/Berlin')).toBe('2026-11-01T00:00:00+01:00')
  })
})
