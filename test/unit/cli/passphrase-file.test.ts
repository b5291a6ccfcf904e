import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { passphraseFileFrom, readPassphraseFile } from '../../../electron/cli/passphrase-file'

let dir: string
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pass-'))))
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('unattended passphrase file', () => {
  it('reads an owner-only file, dropping one trailing newline only', () => {
    const f = join(dir, 'p')
    writeFileSync(f, '  spaced passphrase  \n', { mode: 0o600 })
    expect(readPassphraseFile(f)).toBe('  spaced passphrase  ')
    writeFileSync(f, 'line\r\n')
    expect(readPassphraseFile(f)).toBe('line')
  })

  it('refuses a file readable by group or others, an empty file, a folder and a missing file', () => {
    const f = join(dir, 'p')
    writeFileSync(f, 'secret passphrase')
    for (const mode of [0o640, 0o604, 0o644]) {
      chmodSync(f, mode)
      expect(() => readPassphraseFile(f)).toThrow(/readable by others.*chmod 600/)
    }
    chmodSync(f, 0o400)
    expect(readPassphraseFile(f)).toBe('secret passphrase')
    writeFileSync(join(dir, 'empty'), '\n', { mode: 0o600 })
    expect(() => readPassphraseFile(join(dir, 'empty'))).toThrow(/empty/)
    expect(() => readPassphraseFile(dir)).toThrow(/not a regular file/)
    expect(() => readPassphraseFile(join(dir, 'nope'))).toThrow(/does not exist/)
  })

  it('takes the flag first, then CAPTCHADESK_PASSPHRASE_FILE, then systemd credentials', () => {
    writeFileSync(join(dir, 'captchadesk-passphrase'), 'x', { mode: 0o600 })
    const env = { CAPTCHADESK_PASSPHRASE_FILE: '/env/file', CREDENTIALS_DIRECTORY: dir }
    expect(passphraseFileFrom('/flag', env)).toBe('/flag')
    expect(passphraseFileFrom(undefined, env)).toBe('/env/file')
    expect(passphraseFileFrom(undefined, { CREDENTIALS_DIRECTORY: dir })).toBe(
      join(dir, 'captchadesk-passphrase'),
    )
    expect(passphraseFileFrom(undefined, { CREDENTIALS_DIRECTORY: join(dir, 'none') })).toBeUndefined()
    expect(passphraseFileFrom(undefined, {})).toBeUndefined()
  })
})
