/**
 * Unattended unlock for the headless host: the passphrase is read from a file that only its owner can read (like
 * ssh refuses a private key readable by others). Where it comes from, first match wins: --passphrase-file,
 * CAPTCHADESK_PASSPHRASE_FILE, systemd's credentials ($CREDENTIALS_DIRECTORY/captchadesk-passphrase, set by
 * LoadCredential=). One trailing newline is removed; nothing else is changed.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

export const SYSTEMD_CREDENTIAL = 'captchadesk-passphrase'

export function passphraseFileFrom(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flag) return flag
  if (env.CAPTCHADESK_PASSPHRASE_FILE) return env.CAPTCHADESK_PASSPHRASE_FILE
  if (env.CREDENTIALS_DIRECTORY) {
    const p = join(env.CREDENTIALS_DIRECTORY, SYSTEMD_CREDENTIAL)
    if (existsSync(p)) return p
  }
  return undefined
}

export function readPassphraseFile(path: string): string {
  let st
  try {
    st = statSync(path)
  } catch {
    throw new Error(`the passphrase file ${path} does not exist or cannot be read`)
  }
  if (!st.isFile()) throw new Error(`the passphrase file ${path} is not a regular file`)
  // systemd's credential files are owned by root and read-only; anything readable by group or others is refused.
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0)
    throw new Error(
      `the passphrase file ${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
    )
  const text = readFileSync(path, 'utf8').replace(/\r?\n$/, '')
  if (text.length === 0) throw new Error(`the passphrase file ${path} is empty`)
  return text
}
