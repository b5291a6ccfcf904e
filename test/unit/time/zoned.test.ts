import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  isValidTimeZone,
  localDateOf,
  localDayBounds,
  localMonthBounds,
  nextLocalMidnight,
  startOfLocalDate,
} from '../../../electron/engine/time/zoned'

const H = 3_600_000

describe('zoned time', () => {
  it('knows valid zones', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true)
    expect(isValidTimeZone('Mars/Olympus')).toBe(false)
    expect(isValidTimeZone('')).toBe(false)
  })

  it('Berlin: 23-hour spring day and 25-hour autumn day', () => {
    const [s1, e1] = localDayBounds('2026-03-29', 'Europe/Berlin')
    expect(e1 - s1).toBe(23 * H)
    expect(new Date(s1).toISOString()).toBe('2026-03-28T23:00:00.000Z')
    const [s2, e2] = localDayBounds('2026-10-25', 'Europe/Berlin')
    expect(e2 - s2).toBe(25 * H)
    expect(new Date(s2).toISOString()).toBe('2026-10-24T22:00:00.000Z')
  })

  it('New York: DST days and the month of November', () => {
    expect(localDayBounds('2026-03-08', 'America/New_York').reduce((a, b) => b - a)).toBe(23 * H)
    expect(localDayBounds('2026-11-01', 'America/New_York').reduce((a, b) => b - a)).toBe(25 * H)
    const [s, e] = localMonthBounds('2026-11', 'America/New_York')
    expect(new Date(s).toISOString()).toBe('2026-11-01T04:00:00.000Z')
    expect(new Date(e).toISOString()).toBe('2026-12-01T05:00:00.000Z')
  })

  it('half-hour zones and zones without DST', () => {
    const [s] = localDayBounds('2026-06-01', 'Asia/Kolkata')
    expect(new Date(s).toISOString()).toBe('2026-05-31T18:30:00.000Z')
    expect(localDayBounds('2026-06-01', 'UTC').reduce((a, b) => b - a)).toBe(24 * H)
  })

  it('a midnight swallowed by DST starts the day at the end of the gap (America/Santiago)', () => {
    // Chile springs forward at 24:00 on the first Saturday of September: 2026-09-06 starts at 01:00 local.
    const start = startOfLocalDate('2026-09-06', 'America/Santiago')
    expect(localDateOf(start, 'America/Santiago')).toBe('2026-09-06')
    expect(localDateOf(start - 1, 'America/Santiago')).toBe('2026-09-05')
  })

  it('property: every instant lies in the local day it is dated, and the next midnight is that day’s end', () => {
    const zones = [
      'Europe/Berlin',
      'America/New_York',
      'Asia/Kolkata',
      'Australia/Adelaide',
      'America/Santiago',
      'UTC',
    ]
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 0, 1) }),
        fc.constantFrom(...zones),
        (ms, tz) => {
          const date = localDateOf(ms, tz)
          const [start, end] = localDayBounds(date, tz)
          return (
            start <= ms &&
            ms < end &&
            nextLocalMidnight(ms, tz) === end &&
            end - start >= 22 * H &&
            end - start <= 26 * H
          )
        },
      ),
      { numRuns: 2_000 },
    )
  })

  it('rejects malformed dates and months', () => {
    expect(() => localDayBounds('2026-02-30', 'UTC')).toThrow(/calendar date/)
    expect(() => localMonthBounds('2026-13', 'UTC')).toThrow(/month/)
    // Every time: a refused date is not remembered as if it were one.
    expect(() => localDayBounds('2026-02-30', 'UTC')).toThrow(/calendar date/)
  })

  it('remembers midnights per zone and date: asked again, in any order, the same answers', () => {
    const zones = ['Europe/Berlin', 'Asia/Kathmandu', 'America/Santiago', 'UTC']
    const days = ['2026-03-29', '2026-10-25', '2026-09-06', '2026-04-05']
    const first = zones.map((tz) => days.map((d) => localDayBounds(d, tz)))
    const again = [...zones].reverse().map((tz) => [...days].reverse().map((d) => localDayBounds(d, tz)))
    expect(again.map((row) => [...row].reverse()).reverse()).toEqual(first)
    // Same date, different zones: different instants (the zone is part of what is remembered).
    expect(new Set(first.map((row) => row[0]![0])).size).toBe(zones.length)
    expect(localDayBounds('2026-03-29', 'Europe/Berlin')).toEqual([
      Date.parse('2026-03-28T23:00:00Z'),
      Date.parse('2026-03-29T22:00:00Z'),
    ])
  })
})
