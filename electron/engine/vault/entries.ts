/** The vault's entries: input rules, sealing, opening, describing (masked) and finding an entry by scope. */
import { randomUUID } from 'node:crypto'
import { NoKeyError, VaultDamagedError, VaultError } from './errors'
import { keyFingerprint, openEntry, sealEntry } from './vault-crypto'
import type { VaultEntryRecord, VaultFileV1 } from './vault-file'

/** What anything outside the main process may know about a stored key. */
export interface VaultEntryInfo {
  scope: 'platform' | 'tenant'
  tenantId: string | null
  label: string
  last4: string
  fingerprint: string
  createdAt: string
  updatedAt: string
}

/** What an entry's sealed bytes hold. */
export interface EntryPlain {
  key: string
  label: string
  last4: string
  createdAt: string
  updatedAt: string
}

const KEY_FORMAT = /^[A-Za-z0-9]{32}$/

function checkUpstreamKey(key: unknown): string {
  const k = typeof key === 'string' ? key.trim() : ''
  if (!KEY_FORMAT.test(k))
    throw new VaultError(
      'An upstream API key is 32 letters and digits; the value given is not (it was not stored).',
    )
  return k
}

function checkLabel(label: unknown): string {
  if (label !== undefined && typeof label !== 'string') throw new VaultError('The label must be text.')
  const l = (label ?? '').trim()
  if (l.length > 80) throw new VaultError('The label is longer than 80 characters.')
  if ([...l].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    throw new VaultError('The label contains control characters.')
  return l
}

function checkTenantId(id: unknown): string {
  if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id))
    throw new VaultError('That is not a tenant id.')
  return id
}

/** The scope an entry is stored (and bound) under. */
export const tenantScope = (tenantId: string): string => `tenant:${checkTenantId(tenantId)}`

/** Opens an entry where it sits (scope and id are authenticated); anything else is damage. */
export function openPlain(dek: Buffer, file: VaultFileV1, e: VaultEntryRecord): EntryPlain {
  let bytes: Buffer | undefined
  try {
    bytes = openEntry(dek, file.vaultId, e.scope, e.entryId, e.sealed)
    const p = JSON.parse(bytes.toString('utf8')) as Partial<EntryPlain>
    if (
      typeof p.key !== 'string' ||
      !KEY_FORMAT.test(p.key) ||
      typeof p.label !== 'string' ||
      typeof p.last4 !== 'string' ||
      typeof p.createdAt !== 'string' ||
      typeof p.updatedAt !== 'string'
    )
      throw new Error('shape')
    return { key: p.key, label: p.label, last4: p.last4, createdAt: p.createdAt, updatedAt: p.updatedAt }
  } catch {
    throw new VaultDamagedError(
      `an entry does not open where it is (${e.scope === 'platform' ? 'platform' : 'tenant'} entry)`,
    )
  } finally {
    bytes?.fill(0)
  }
}

/** Every entry opens where it sits, one per owner, ids unique. Does not zero `dek`. */
export function verifyEntries(file: VaultFileV1, dek: Buffer): void {
  const scopes = new Set<string>()
  const ids = new Set<string>()
  for (const e of file.entries) {
    if (scopes.has(e.scope)) throw new VaultDamagedError('two entries for one owner')
    if (ids.has(e.entryId)) throw new VaultDamagedError('two entries with one id')
    scopes.add(e.scope)
    ids.add(e.entryId)
    openPlain(dek, file, e)
  }
}

export function entryInfo(scope: string, p: EntryPlain): VaultEntryInfo {
  const isPlatform = scope === 'platform'
  return {
    scope: isPlatform ? 'platform' : 'tenant',
    tenantId: isPlatform ? null : scope.slice('tenant:'.length),
    label: p.label,
    last4: p.last4,
    fingerprint: keyFingerprint(p.key),
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  }
}

/** The file's entries with `scope` (re)set to a freshly sealed key; the first creation time is kept. */
export function withEntry(
  dek: Buffer,
  file: VaultFileV1,
  scope: string,
  input: { key: unknown; label: unknown; at: string },
): { entries: VaultEntryRecord[]; info: VaultEntryInfo } {
  const key = checkUpstreamKey(input.key)
  const label = checkLabel(input.label)
  const existing = file.entries.find((e) => e.scope === scope)
  const createdAt = existing ? openPlain(dek, file, existing).createdAt : input.at
  const plain: EntryPlain = { key, label, last4: key.slice(-4), createdAt, updatedAt: input.at }
  const entryId = randomUUID()
  const bytes = Buffer.from(JSON.stringify(plain), 'utf8')
  let sealed: VaultEntryRecord['sealed']
  try {
    sealed = sealEntry(dek, file.vaultId, scope, entryId, bytes)
  } finally {
    bytes.fill(0)
  }
  return {
    entries: [...file.entries.filter((e) => e.scope !== scope), { entryId, scope, sealed }],
    info: entryInfo(scope, plain),
  }
}

/** Every entry re-sealed under a new data key (a rotation); the plaintext is zeroed after each. */
export function resealedEntries(file: VaultFileV1, oldDek: Buffer, newDek: Buffer): VaultEntryRecord[] {
  return file.entries.map((e) => {
    const plain = openEntry(oldDek, file.vaultId, e.scope, e.entryId, e.sealed)
    try {
      return { ...e, sealed: sealEntry(newDek, file.vaultId, e.scope, e.entryId, plain) }
    } finally {
      plain.fill(0)
    }
  })
}

/**
 * The scope a solve reads its key from. The tenant's key mode decides: 'own' uses the tenant's key and never falls
 * back to the platform key; 'shared' uses the platform key.
 */
export function solveScope(tenantId: string, keyMode: 'own' | 'shared'): string {
  if (keyMode !== 'own' && keyMode !== 'shared') throw new VaultError('Unknown key mode.')
  return keyMode === 'own' ? tenantScope(tenantId) : 'platform'
}

export function noKeyError(keyMode: 'own' | 'shared'): NoKeyError {
  return new NoKeyError(
    keyMode === 'own'
      ? 'This tenant uses its own upstream key, and none is set (tenant has no key of its own). Set it in the tenant’s key settings.'
      : 'No platform key is set. Add one in Settings.',
  )
}

/** The entry for a scope, through an index rebuilt whenever the file object changes (one lookup per solve). */
export class EntryIndex {
  private index: { file: VaultFileV1; byScope: Map<string, VaultEntryRecord> } | undefined

  find(file: VaultFileV1, scope: string): VaultEntryRecord | undefined {
    if (this.index?.file !== file)
      this.index = { file, byScope: new Map(file.entries.map((e) => [e.scope, e])) }
    return this.index.byScope.get(scope)
  }
}
