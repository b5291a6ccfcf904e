import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CLIENT_OSES, hostsFileSteps, hostsLines } from '@shared/hosts-file-steps'
import { hostsFileSettings, settingsSchema } from '@shared/settings'
import { sanitizeSettings, DEFAULT_SETTINGS } from '../../../electron/engine/settings/settings-store'
import { caCertificateReply, certificateNames } from '../../../electron/engine/tls/hosts-file-mode'

const input = {
  names: certificateNames(['captcha.platform.example', '*.wild.example']),
  address: '127.0.0.1',
  httpsPort: 443,
  httpPort: 8787,
  caFile: 'captchadesk-local-ca.crt',
}

describe('hosts-file mode setup steps', () => {
  it('covers every provider name and the operator’s own, once each', () => {
    expect(input.names).toEqual([
      '2captcha.com',
      'api.2captcha.com',
      'ocr.captchaai.com',
      'api.anti-captcha.com',
      'api.capsolver.com',
      'captcha.platform.example',
      '*.wild.example',
    ])
    expect(certificateNames(['2CAPTCHA.com'])).toHaveLength(5)
    // A hosts file cannot hold a wildcard.
    expect(hostsLines('10.0.0.5', input.names)).toEqual([
      '10.0.0.5 2captcha.com',
      '10.0.0.5 api.2captcha.com',
      '10.0.0.5 ocr.captchaai.com',
      '10.0.0.5 api.anti-captcha.com',
      '10.0.0.5 api.capsolver.com',
      '10.0.0.5 captcha.platform.example',
    ])
  })

  it('gives each OS a trust step, a hosts step with every name, and an undo step', () => {
    for (const { id } of CLIENT_OSES) {
      const steps = hostsFileSteps(id, input)
      const all = steps.flatMap((s) => s.commands).join('\n')
      expect(all).toContain('captchadesk-local-ca.crt')
      for (const line of hostsLines('127.0.0.1', input.names)) expect(all).toContain(line)
      expect(steps.at(-1)!.title).toBe('To undo')
      expect(steps[0]!.title).toMatch(/Trust/)
    }
    expect(hostsFileSteps('windows', input)[0]!.commands[0]).toMatch(/Cert:\\LocalMachine\\Root/)
    expect(hostsFileSteps('macos', input)[0]!.commands[0]).toMatch(/add-trusted-cert/)
    expect(hostsFileSteps('linux', input)[0]!.commands).toContain('sudo update-ca-certificates')
  })

  it('says when the ports differ from the ones hard-coded clients use', () => {
    const note = hostsFileSteps('linux', { ...input, httpsPort: 8443 })[1]!.note ?? ''
    expect(note).toMatch(/443/)
    expect(note).toMatch(/8443/)
    expect(hostsFileSteps('linux', { ...input, httpPort: 80 })[1]!.note).toBeUndefined()
  })
})

describe('hosts-file mode settings', () => {
  it('a settings file from before hosts-file mode keeps its gateway settings and gets the defaults', () => {
    const { settings, dropped } = sanitizeSettings({
      ...DEFAULT_SETTINGS,
      gateway: { enabled: true, port: 9001, allowLan: true },
    })
    expect(dropped).toEqual([])
    expect(settings.gateway).toEqual({
      enabled: true,
      port: 9001,
      allowLan: true,
      resultRetentionMinutes: 15,
      drainSeconds: 20,
    })
    expect(hostsFileSettings(settings.gateway)).toEqual({
      hostsFileMode: false,
      httpsPort: 443,
      hostNames: [],
    })
  })

  it('refuses host names that cannot go on a certificate', () => {
    const base = DEFAULT_SETTINGS.gateway
    expect(
      settingsSchema.shape.gateway.safeParse({ ...base, hostNames: ['Captcha.Example.com '] }).data
        ?.hostNames,
    ).toEqual(['captcha.example.com'])
    for (const bad of ['http://x.com', 'a b', '-x.com', ''])
      expect(settingsSchema.shape.gateway.safeParse({ ...base, hostNames: [bad] }).success).toBe(false)
  })

  it('the CA reply carries the public certificate and the names, never a private key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ca-reply-'))
    try {
      const r = await caCertificateReply(dir, ['captcha.platform.example'])
      expect(r.certPem).toMatch(/BEGIN CERTIFICATE/)
      expect(JSON.stringify(r)).not.toMatch(/PRIVATE KEY/)
      expect(r.names).toContain('captcha.platform.example')
      expect(r.fileName).toMatch(/\.crt$/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
