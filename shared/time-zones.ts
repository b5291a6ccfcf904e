/**
 * The time zones a tenant may have: every IANA zone the runtime knows (Intl.supportedValuesOf, canonical names),
 * plus UTC and the fixed-offset Etc/ zones it leaves out. The console's picker offers exactly this list and the
 * engine accepts exactly this list (case-insensitive, stored in the list's spelling). Pure Intl, no platform code.
 */

/** Zones Intl.supportedValuesOf('timeZone') omits but every runtime's Intl.DateTimeFormat accepts. */
function fixedZones(): string[] {
  const out = ['UTC', 'Etc/UTC', 'Etc/GMT']
  for (let h = 1; h <= 14; h++) out.push(`Etc/GMT-${h}`) // POSIX sign: Etc/GMT-3 is UTC+03:00
  for (let h = 1; h <= 12; h++) out.push(`Etc/GMT+${h}`)
  return out
}

/** CLDR keeps some pre-rename names that IANA has replaced; the list shows (and stores) the IANA name instead. */
const IANA_NAME: Record<string, string> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
}

function constructs(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

let zones: readonly string[] | null = null
let byLower: Map<string, string> | null = null

/** Every zone a tenant may have, UTC and Etc/ first, then the IANA regions alphabetically. */
export function supportedTimeZones(): readonly string[] {
  if (zones) return zones
  let regions: string[] = []
  try {
    regions = Intl.supportedValuesOf('timeZone').filter((z) => !z.startsWith('Etc/') && z !== 'UTC')
  } catch {
    regions = []
  }
  const named = regions.map((z) => {
    const iana = IANA_NAME[z]
    return iana && constructs(iana) ? iana : z
  })
  zones = [...fixedZones().filter(constructs), ...[...new Set(named)].sort()]
  byLower = new Map(zones.map((z) => [z.toLowerCase(), z]))
  return zones
}

/** The list's spelling of a zone ("europe/berlin" → "Europe/Berlin"), or null when it is not in the list. */
export function canonicalTimeZone(input: string): string | null {
  supportedTimeZones()
  return byLower!.get(input.trim().toLowerCase()) ?? null
}

export function isSupportedTimeZone(input: unknown): boolean {
  return typeof input === 'string' && input.length <= 64 && canonicalTimeZone(input) !== null
}

/** For an alias the list does not offer ("US/Eastern"), the zone it stands for ("America/New_York"), if any. */
export function zoneForAlias(input: string): string | null {
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: input.trim() }).resolvedOptions().timeZone
    return canonicalTimeZone(IANA_NAME[resolved] ?? resolved)
  } catch {
    return null
  }
}

/** Why a zone is refused, in words for a person (null when it is accepted). */
export function timeZoneProblem(input: string): string | null {
  if (canonicalTimeZone(input)) return null
  const alias = zoneForAlias(input)
  if (alias) return `"${input.trim().slice(0, 64)}" is an old alias: pick ${alias} instead`
  return 'pick a time zone from the list (an IANA name such as Europe/Berlin, America/New_York or UTC)'
}

/** "UTC+05:30" / "UTC−03:00" / "UTC" for a zone at an instant. */
export function zoneOffsetLabel(zone: string, at: number): string {
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
      .formatToParts(new Date(at))
      .find((p) => p.type === 'timeZoneName')?.value
    if (!part || part === 'GMT') return 'UTC'
    return part.replace('GMT', 'UTC').replace('-', '−')
  } catch {
    return ''
  }
}

/**
 * One Intl.DateTimeFormat per time zone for `locale` and `options`, made on first use and kept for the next (up to
 * `max` zones). Throws a RangeError for an unknown zone, as Intl does.
 */
export function formatterPerZone(
  locale: string,
  options: Omit<Intl.DateTimeFormatOptions, 'timeZone'>,
  max = Infinity,
): (zone: string) => Intl.DateTimeFormat {
  const made = new Map<string, Intl.DateTimeFormat>()
  return (zone) => {
    let f = made.get(zone)
    if (!f) {
      f = new Intl.DateTimeFormat(locale, { timeZone: zone, ...options })
      if (made.size < max) made.set(zone, f)
    }
    return f
  }
}

const clock = formatterPerZone('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, 1000)

/** "14:05" in the zone (24-hour clock). */
export function wallTimeIn(zone: string, at: number): string {
  try {
    return clock(zone).format(new Date(at))
  } catch {
    return ''
  }
}

/** How people name the zone's clock: "New York time", "UTC", "UTC+03:00". */
export function zoneClockName(zone: string, at: number): string {
  const canonical = canonicalTimeZone(zone) ?? zone
  if (canonical === 'UTC' || canonical === 'Etc/UTC' || canonical === 'Etc/GMT') return 'UTC'
  if (canonical.startsWith('Etc/')) return zoneOffsetLabel(canonical, at)
  const city = canonical.split('/').pop()!.replaceAll('_', ' ')
  return `${city} time`
}
