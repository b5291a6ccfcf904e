/** The steps of a durable file write that the vault, the local CA and the invoice exports share. */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

/** Writes `text` to a new file at `path` (open flags and mode as given) and fsyncs it before closing. */
export function writeSynced(path: string, text: string, flags: 'w' | 'wx', mode: number): void {
  const fd = openSync(path, flags, mode)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Makes a rename in `dir` durable. Best effort: some platforms (Windows) cannot fsync a folder; the rename is atomic. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // not supported here; the rename itself is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/**
 * Replaces `path` with `text` so that a crash or power cut leaves the old file or the new one, never a torn or
 * lost one: a synced temp file (this process's own name), renamed over it, the folder synced.
 */
export function writeFileAtomic(path: string, text: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`
  writeSynced(tmp, text, 'w', mode)
  renameSync(tmp, path)
  fsyncDir(dirname(path))
}
