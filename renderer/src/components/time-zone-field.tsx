/**
 * The time-zone picker: type to search every zone CaptchaDesk accepts (UTC and the Etc/ zones included); each
 * suggestion shows its current UTC offset and local time, and the hint shows them for the chosen zone. The list is
 * shared/time-zones — the same list the engine accepts.
 */
import { useMemo } from 'react'
import { canonicalTimeZone, supportedTimeZones, wallTimeIn, zoneOffsetLabel } from '@shared/time-zones'
import { Field, useNow } from './ui'

export function TimeZoneField({
  id,
  value,
  onChange,
  error,
  purpose,
}: {
  id: string
  value: string
  onChange(v: string): void
  error?: string | null
  purpose: string
}) {
  // The suggestions' clocks move with the minute.
  const now = useNow(true, 30_000)
  const minute = Math.floor(now / 60_000)
  const zones = supportedTimeZones()
  const options = useMemo(
    () =>
      zones.map((z) => ({
        zone: z,
        label: `${zoneOffsetLabel(z, minute * 60_000)} · ${wallTimeIn(z, minute * 60_000)}`,
      })),
    [zones, minute],
  )
  const chosen = canonicalTimeZone(value)
  const hint = chosen
    ? `${purpose} Now there: ${wallTimeIn(chosen, now)} (${zoneOffsetLabel(chosen, now)}).`
    : `${purpose} Type to search ${zones.length} zones, e.g. Europe/Berlin, America/New_York or UTC.`
  return (
    <>
      <Field id={id} label="Time zone" error={error} hint={hint}>
        <input
          id={id}
          list={`${id}-zones`}
          autoComplete="off"
          spellCheck={false}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          onBlur={() => {
            const c = canonicalTimeZone(value)
            if (c && c !== value) onChange(c)
          }}
        />
      </Field>
      <datalist id={`${id}-zones`}>
        {options.map((o) => (
          <option key={o.zone} value={o.zone} label={o.label} />
        ))}
      </datalist>
    </>
  )
}
