import { describe, expect, it } from 'vitest'
import { formatDuration, formatRetry } from '@shared/human-time'
import { tenantCreateSchema } from '@shared/tenant-schema'
import {
  canonicalTimeZone,
  isSupportedTimeZone,
  supportedTimeZones,
  timeZoneProblem,
  zoneClockName,
  zoneOffsetLabel,
} from '@shared/time-zones'

describe('the time zones a tenant may have', () => {
  it('include UTC and the Etc/ zones Intl.supportedValuesOf leaves out, with IANA names', () => {
    const zones = supportedTimeZones()
    for (const z of [
      'UTC',
      'Etc/UTC',
      'Etc/GMT',
      'Etc/GMT-14',
      'Etc/GMT+12',
      'Europe/Berlin',
      'Asia/Kolkata',
    ])
      expect(zones).toContain(z)
    expect(zones).not.toContain('Asia/Calcutta')
    expect(new Set(zones).size).toBe(zones.length)
    // Every zone offered works with Intl.
    for (const z of zones) expect(() => new Intl.DateTimeFormat('en', { timeZone: z })).not.toThrow()
  })

  it('accepts exactly the list, case-insensitively, in the list’s spelling; aliases get a pointer', () => {
    expect(canonicalTimeZone('utc')).toBe('UTC')
    expect(canonicalTimeZone(' etc/utc ')).toBe('Etc/UTC')
    expect(isSupportedTimeZone('Mars/Olympus')).toBe(false)
    expect(isSupportedTimeZone('US/Eastern')).toBe(false)
    expect(timeZoneProblem('US/Eastern')).toContain('America/New_York')
    expect(timeZoneProblem('Asia/Calcutta')).toContain('Asia/Kolkata')
    expect(timeZoneProblem('Mars/Olympus')).toContain('pick a time zone from the list')
  })

  it('the tenant schema takes UTC and Etc/UTC and stores the canonical spelling', () => {
    expect(tenantCreateSchema.parse({ name: 'a', timezone: 'UTC' }).timezone).toBe('UTC')
    expect(tenantCreateSchema.parse({ name: 'a', timezone: 'etc/utc' }).timezone).toBe('Etc/UTC')
    expect(tenantCreateSchema.parse({ name: 'a', timezone: 'europe/berlin' }).timezone).toBe('Europe/Berlin')
    expect(tenantCreateSchema.safeParse({ name: 'a', timezone: 'US/Eastern' }).success).toBe(false)
  })

  it('names offsets and clocks', () => {
    const winter = Date.UTC(2026, 0, 15, 12)
    expect(zoneOffsetLabel('America/New_York', winter)).toBe('UTC−05:00')
    expect(zoneOffsetLabel('Asia/Kolkata', winter)).toBe('UTC+05:30')
    expect(zoneClockName('America/New_York', winter)).toBe('New York time')
    expect(zoneClockName('Etc/UTC', winter)).toBe('UTC')
    expect(zoneClockName('Etc/GMT-3', winter)).toBe('UTC+03:00')
  })
})

describe('human retry times', () => {
  it('formats durations in whole units', () => {
    expect(formatDuration(400)).toBe('1 s')
    expect(formatDuration(35_000)).toBe('35 s')
    expect(formatDuration(250_000)).toBe('4 min 10 s')
    expect(formatDuration(35_463_000)).toBe('9 h 51 min')
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000)).toBe('3 d 4 h')
  })

  it('names the clock time in the tenant’s zone for longer waits', () => {
    const now = Date.UTC(2026, 10, 29, 19, 8, 57) // 14:08:57 in New York
    const toMidnight = Date.UTC(2026, 10, 30, 5) - now
    expect(formatRetry(toMidnight, now, 'America/New_York')).toBe('in 9 h 51 min, at 00:00 New York time')
    expect(formatRetry(12_000, now, 'UTC')).toBe('in 12 s')
    expect(formatRetry(250_000, now, 'UTC')).toBe('in 4 min 10 s, at 19:14 UTC')
    expect(formatRetry(2 * 86_400_000, now, 'Europe/Berlin')).toBe('in 2 d, at 20:09 on 1 Dec Berlin time')
    expect(formatRetry(0, now, 'UTC')).toBe('now')
  })
})
