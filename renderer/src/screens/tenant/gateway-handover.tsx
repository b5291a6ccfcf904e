/**
 * The issue-key dialog: the new gateway key (shown only now), the gateway URL, copy buttons, and ready-to-paste
 * client snippets with both filled in. A modal <dialog>: focus moves in, Escape closes, focus goes back.
 */
import { useEffect, useRef, useState } from 'react'
import { CopyButton } from '../../components/copy-button'
import { Tab } from '../../components/tab'
import { gatewaySnippets } from './snippets'

export function GatewayHandover({
  tenantName,
  gatewayKey,
  url,
  serving,
  onClose,
}: {
  tenantName: string
  gatewayKey: string
  url: string | null
  serving: boolean
  onClose(): void
}) {
  const ref = useRef<HTMLDialogElement>(null)
  const returnTo = useRef<Element | null>(null)
  const shownUrl = url ?? 'http://127.0.0.1:8787'
  const snippets = gatewaySnippets(shownUrl, gatewayKey)
  const [tab, setTab] = useState(snippets[0]!.id)
  const current = snippets.find((s) => s.id === tab) ?? snippets[0]!
  useEffect(() => {
    returnTo.current = document.activeElement
    ref.current?.showModal()
    document.getElementById('handover-title')?.focus()
    return () => {
      const el = returnTo.current
      if (el instanceof HTMLElement && el.isConnected) el.focus()
    }
  }, [])
  return (
    <dialog
      ref={ref}
      className="dialog wide-dialog"
      aria-labelledby="handover-title"
      onCancel={(e) => {
        e.preventDefault()
        onClose()
      }}
      data-testid="gateway-handover"
    >
      <h2 id="handover-title" tabIndex={-1}>
        Gateway key for {tenantName}
      </h2>
      <p className="note warn">Copy it now: it is shown only once. CaptchaDesk keeps only its hash.</p>
      <dl className="keyinfo handover">
        <dt>Gateway URL</dt>
        <dd>
          <code data-testid="gateway-url">{shownUrl}</code>{' '}
          <CopyButton text={shownUrl} label="Copy URL" what="gateway URL" />
          {!serving ? (
            <div className="muted small">
              The gateway is not running: start it under Settings → Tenant gateway
              {url ? '' : ' (this is its default address)'}.
            </div>
          ) : null}
        </dd>
        <dt>Key</dt>
        <dd>
          <code data-testid="gateway-key">{gatewayKey}</code>{' '}
          <CopyButton text={gatewayKey} label="Copy key" what="gateway key" />
        </dd>
      </dl>
      <h3>Ready-to-paste client code</h3>
      <div role="tablist" aria-label="Client" className="tabs">
        {snippets.map((s) => (
          <Tab
            key={s.id}
            id={`snippet-tab-${s.id}`}
            selected={s.id === tab}
            aria-controls="snippet-panel"
            tabIndex={s.id === tab ? 0 : -1}
            onSelect={() => setTab(s.id)}
            onKeyDown={(e) => {
              const i = snippets.findIndex((x) => x.id === tab)
              const next =
                e.key === 'ArrowRight' ? (i + 1) % snippets.length : e.key === 'ArrowLeft' ? i - 1 : null
              if (next === null) return
              const target = snippets[(next + snippets.length) % snippets.length]!
              setTab(target.id)
              document.getElementById(`snippet-tab-${target.id}`)?.focus()
            }}
          >
            {s.label}
          </Tab>
        ))}
      </div>
      <div role="tabpanel" id="snippet-panel" aria-labelledby={`snippet-tab-${current.id}`}>
        <pre className="snippet" tabIndex={0} aria-label={`${current.label} snippet`}>
          <code data-testid="snippet-code">{current.code}</code>
        </pre>
        <CopyButton
          text={current.code}
          label={`Copy ${current.label} snippet`}
          what={`${current.label} snippet`}
        />
      </div>
      <div className="actions end">
        <button type="button" className="primary" onClick={onClose}>
          Done
        </button>
      </div>
    </dialog>
  )
}
