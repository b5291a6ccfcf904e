/** Operator settings (no secrets: keys live in the vault). */
import { z } from 'zod'
import { billingSettingsShape } from './billing-settings'
import { CAPTCHA_TYPES, CAPTCHA_TYPES_ADDED_LATER, DEFAULT_COST_PRICES } from './captcha'
import { isCertificateHostName } from './host-names'
import { PROVIDER_IDS } from './provider'

const micros = z.number().int().min(0).max(1_000_000_000_000)

export const settingsSchema = z
  .object({
    providerId: z.enum(PROVIDER_IDS),
    /** For 'custom' (and to override presets): http(s) base URL without in.php. */
    baseUrl: z
      .string()
      .trim()
      .max(500)
      .refine(
        (v) => v === '' || /^https?:\/\/[^\s]+$/.test(v),
        'the base URL must start with http:// or https://',
      ),
    supportsBatchGet: z.boolean(),
    /** Threads of the platform key's plan, shared fairly among shared-mode tenants (empty: no cap). */
    sharedThreads: z.number().int().min(1).max(100_000).nullable(),
    requestTimeoutSeconds: z.number().int().min(5).max(600),
    solveTimeoutSeconds: z.number().int().min(10).max(3_600),
    autoLockMinutes: z
      .number()
      .int()
      .min(0)
      .max(24 * 60),
    /** A type added in a later version (missing from a file saved before it) starts at its default price. */
    costPrices: z.object(
      Object.fromEntries(
        CAPTCHA_TYPES.map((t) => [
          t,
          CAPTCHA_TYPES_ADDED_LATER.has(t) ? micros.default(DEFAULT_COST_PRICES[t]) : micros,
        ]),
      ) as Record<(typeof CAPTCHA_TYPES)[number], typeof micros>,
    ),
    currency: z.string().regex(/^[A-Z]{3}$/, 'a 3-letter currency code'),
    invoiceGraceDays: z.number().int().min(0).max(60),
    lowBalanceMicros: micros,
    balanceCheckMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60),
    gateway: z
      .object({
        /** Serving is on: the gateway starts whenever the keys are available (after an unlock, at launch). */
        enabled: z.boolean(),
        port: z.number().int().min(0).max(65_535),
        allowLan: z.boolean(),
        /** How long an answer nobody fetched stays readable, minutes. */
        resultRetentionMinutes: z
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .default(15),
        /** On stop/quit: how long to keep answering res.php while running solves finish, seconds. */
        drainSeconds: z.number().int().min(0).max(600).default(20),
        /**
         * Hosts-file mode: answer on any Host name and also over HTTPS (httpsPort) with a certificate from the local
         * CA for the providers' names plus hostNames, so clients with a hard-coded provider URL work unchanged.
         * Absent (files from before it): off, 443, no extra names — see `hostsFileSettings`.
         */
        hostsFileMode: z.boolean().optional(),
        httpsPort: z.number().int().min(0).max(65_535).optional(),
        hostNames: z
          .array(
            z
              .string()
              .trim()
              .toLowerCase()
              .max(253)
              .refine(isCertificateHostName, 'a host name such as captcha.example.com (not an IP address)'),
          )
          .max(20, 'at most 20 host names')
          .optional(),
      })
      .strict(),
    /**
     * Pingback: the address at which the upstream can reach this host's gateway port from the internet (for example
     * https://desk.example.com behind a reverse proxy). Set, every solve asks the upstream to call back at
     * <this URL>/pingback/<secret>; polling stays on as the fallback. Empty: off.
     */
    publicCallbackUrl: z
      .string()
      .trim()
      .max(500)
      .refine(
        (v) => v === '' || /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(v),
        'the public callback URL must be http(s)://host[/path], without ? or #',
      )
      .optional(),
    /** Follow the provider's published polling advice (first poll ≥ 5 s, 10 s for reCAPTCHA; ≤ 20 polls per task). */
    pollAdvice: z.enum(['follow', 'ignore']).optional(),
    /** Electron: open CaptchaDesk when the operator logs in (with device unlock, serving resumes unattended). */
    launchAtLogin: z.boolean().default(false),
    ...billingSettingsShape,
  })
  .strict()

export type Settings = z.infer<typeof settingsSchema>
export const settingsPatchSchema = settingsSchema.partial().strict()
export type SettingsPatch = z.infer<typeof settingsPatchSchema>

/** Hosts-file mode's settings with their defaults filled in. */
export function hostsFileSettings(g: Settings['gateway']): {
  hostsFileMode: boolean
  httpsPort: number
  hostNames: string[]
} {
  return {
    hostsFileMode: g.hostsFileMode ?? false,
    httpsPort: g.httpsPort ?? 443,
    hostNames: g.hostNames ?? [],
  }
}
