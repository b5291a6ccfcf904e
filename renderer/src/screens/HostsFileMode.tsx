/**
 * Settings → Hosts-file mode: for client code whose provider URL is hard-coded (2captcha.com, api.anti-captcha.com…).
 * The operator turns it on, adds its own host names, downloads the local CA certificate, and follows the steps for
 * each client machine's operating system.
 */
import { useState } from 'react'
import { isCertificateHostName } from '@shared/host-names'
import { CLIENT_OSES, hostsFileSteps, type ClientOs } from '@shared/hosts-file-steps'
import type { OutputOf } from '@shared/ipc-contract'
import { hostsFileSettings, type Settings } from '@shared/settings'
import { parseWholeNumber } from '@shared/typed-numbers'
import { call, messageOf } from '../api/client'
import { Choice, TextField } from '../components/form-fields'
import { Tab } from '../components/tab'
import { ErrorNote } from '../components/ui'
import { useSettings } from '../stores/settings'
import { toast } from '../stores/toasts'

type CaInfo = OutputOf<'gateway.caCertificate'>

function download(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/x-x509-ca-cert' }))
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

export function HostsFileCard({ settings }: { settings: Settings }) {
  const save = useSettings((s) => s.save)
  const status = useSettings((s) => s.gateway)
  const g = { ...settings.gateway, ...hostsFileSettings(settings.gateway) }
  const [on, setOn] = useState(g.hostsFileMode)
  const [httpsPort, setHttpsPort] = useState(String(g.httpsPort))
  const [names, setNames] = useState(g.hostNames.join('\n'))
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [ca, setCa] = useState<CaInfo | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [os, setOs] = useState<ClientOs>('linux')
  const [busy, setBusy] = useState(false)

  async function submit(e: React.FormEvent) {
    e.preventDefault()
    const port = parseWholeNumber(httpsPort, 0, 65_535)
    const local: Record<string, string> = {}
    if (port === null) local.httpsPort = 'A port from 0 to 65535 (443 for clients with https:// URLs).'
    const list = names
      .split(/[\s,]+/)
      .map((n) => n.trim().toLowerCase())
      .filter(Boolean)
    const bad = list.find((n) => !isCertificateHostName(n))
    if (bad) local.hostNames = `"${bad.slice(0, 60)}" is not a host name (e.g. captcha.example.com).`
    setErrors(local)
    if (Object.keys(local).length) return
    setBusy(true)
    const r = await save({ gateway: { ...g, hostsFileMode: on, httpsPort: port!, hostNames: list } })
    setBusy(false)
    // A running gateway moves to its new listeners in the background; show them once it has.
    if (r.ok) for (const ms of [400, 1_500]) setTimeout(() => void useSettings.getState().load(), ms)
    if (!r.ok)
      setErrors(
        Object.fromEntries(Object.entries(r.fields).map(([k, v]) => [k.replace(/^gateway\./, ''), v])),
      )
  }

  async function loadCa(andDownload: boolean) {
    setError(null)
    try {
      const info = await call('gateway.caCertificate', {})
      setCa(info)
      if (andDownload) {
        download(info.fileName, info.certPem)
        toast('success', `Saved ${info.fileName}.`)
      }
    } catch (err) {
      setError(messageOf(err))
    }
  }

  const steps = ca
    ? hostsFileSteps(os, {
        names: ca.names,
        address: g.allowLan ? 'GATEWAY-LAN-ADDRESS' : '127.0.0.1',
        httpsPort: g.httpsPort,
        httpPort: g.port,
        caFile: ca.fileName,
      })
    : []

  return (
    <section className="card span-all" aria-labelledby="hf-title">
      <h2 id="hf-title">Hosts-file mode</h2>
      <p className="muted small">
        For client code that cannot change its provider’s address: its machine’s hosts file points
        2captcha.com, api.anti-captcha.com, api.capsolver.com… at this gateway, which then answers on any host
        name, over HTTP and over HTTPS with a certificate from CaptchaDesk’s own local CA. Saving applies at
        once to a running gateway.
      </p>
      <p data-testid="hosts-file-status" role="status">
        {status?.httpsUrl
          ? `On: HTTPS at ${status.httpsUrl}, HTTP at ${status.url ?? '—'}, any host name.`
          : g.hostsFileMode
            ? 'On; the HTTPS listener starts with the gateway.'
            : 'Off.'}
      </p>
      <form className="form-grid" onSubmit={(e) => void submit(e)} noValidate>
        <Choice className="span-all" type="checkbox" checked={on} onChange={(e) => setOn(e.target.checked)}>
          Answer on any host name, and over HTTPS
        </Choice>
        <TextField
          id="hf-port"
          label="HTTPS port"
          error={errors.httpsPort}
          hint="Clients with https:// URLs connect to 443."
          inputMode="numeric"
          value={httpsPort}
          onChange={setHttpsPort}
        />
        <TextField
          multiline
          id="hf-names"
          label="Your own host names (optional, one per line)"
          error={errors.hostNames}
          hint="Added to the certificate beside the providers’ names."
          rows={3}
          spellCheck={false}
          value={names}
          onChange={setNames}
        />
        <div className="actions span-all">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save hosts-file mode'}
          </button>
          <button type="button" onClick={() => void loadCa(true)}>
            Download CA certificate
          </button>
          <button type="button" onClick={() => void loadCa(false)}>
            Show setup steps
          </button>
        </div>
      </form>
      <ErrorNote text={error} />
      {ca ? (
        <div data-testid="hosts-file-steps">
          <p className="small">
            CA <span className="mono">{ca.subject.replaceAll('\n', ', ')}</span>, SHA-256{' '}
            <span className="mono">{ca.fingerprint256}</span>, valid until {ca.validTo.slice(0, 10)}. Its
            private key stays in this computer’s data folder (readable by you only); trust it only on machines
            that send captchas here.
          </p>
          <div role="tablist" aria-label="Client operating system" className="actions">
            {CLIENT_OSES.map((o) => (
              <Tab
                key={o.id}
                selected={os === o.id}
                className={os === o.id ? 'primary' : undefined}
                onSelect={() => setOs(o.id)}
              >
                {o.label}
              </Tab>
            ))}
          </div>
          <div role="tabpanel" aria-label={`Steps for ${os}`}>
            <ol>
              {steps.map((s) => (
                <li key={s.title}>
                  <strong>{s.title}</strong>
                  {s.commands.length ? <pre className="mono small">{s.commands.join('\n')}</pre> : null}
                  {s.note ? <p className="muted small">{s.note}</p> : null}
                </li>
              ))}
            </ol>
          </div>
          {g.allowLan ? (
            <p className="muted small">
              Replace GATEWAY-LAN-ADDRESS with this computer’s address on your network.
            </p>
          ) : null}
        </div>
      ) : null}
    </section>
  )
}
