/**
 * Upstream keys on their cards: a stored one as the vault shows it (label, •••• and the last 4 characters,
 * fingerprint, when updated), and the inputs that save or rotate one.
 */
import { useState, type FormEvent, type ReactNode } from 'react'
import type { OutputOf } from '@shared/ipc-contract'
import { SecretKeyField, TextField } from './form-fields'
import { formatTime } from './ui'

type KeyInfo = Pick<OutputOf<'vault.setPlatformKey'>, 'label' | 'last4' | 'fingerprint' | 'updatedAt'>

function MaskedKeyInfo({ info, testId }: { info: KeyInfo; testId: string }) {
  return (
    <dl className="keyinfo" data-testid={testId}>
      <dt>Label</dt>
      <dd>{info.label}</dd>
      <dt>Key</dt>
      <dd className="mono">•••• {info.last4}</dd>
      <dt>Fingerprint</dt>
      <dd className="mono">{info.fingerprint}</dd>
      <dt>Updated</dt>
      <dd>{formatTime(Date.parse(info.updatedAt))}</dd>
    </dl>
  )
}

/** Why a typed upstream key cannot be one (null when it looks right: 32 letters and digits). */
export function upstreamKeyProblem(key: string): string | null {
  return /^[A-Za-z0-9]{32}$/.test(key.trim())
    ? null
    : 'An upstream API key is 32 letters and digits: copy it from the provider’s dashboard.'
}

/** What a key card's form holds: the label (starting at `initialLabel`) and the key being typed. */
export function useKeyEntry(initialLabel: string) {
  const [label, setLabel] = useState(initialLabel)
  const [key, setKey] = useState('')
  return { label, setLabel, key, setKey }
}

/**
 * A key card's body: the stored key (or `emptyText`), then the form that saves a key or rotates the stored one —
 * its label, the key itself, and the card's own notes and buttons (`children`).
 */
export function UpstreamKeyForm({
  stored,
  testId,
  emptyText,
  onSubmit,
  ids,
  entry,
  error,
  hint,
  children,
}: {
  stored: KeyInfo | null | undefined
  testId: string
  emptyText: string
  onSubmit(e: FormEvent): void
  ids: { label: string; key: string }
  entry: ReturnType<typeof useKeyEntry>
  error?: string | null
  hint?: string
  children: ReactNode
}) {
  return (
    <>
      {stored ? <MaskedKeyInfo info={stored} testId={testId} /> : <p className="muted">{emptyText}</p>}
      <form onSubmit={onSubmit} noValidate className="stack">
        <TextField
          id={ids.label}
          label="Label"
          value={entry.label}
          onChange={entry.setLabel}
          maxLength={80}
        />
        <SecretKeyField
          id={ids.key}
          label={stored ? 'New key (rotates the current one)' : 'API key'}
          error={error}
          hint={hint}
          value={entry.key}
          onChange={entry.setKey}
        />
        {children}
      </form>
    </>
  )
}
