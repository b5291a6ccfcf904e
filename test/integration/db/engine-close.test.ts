/**
 * Closing the engine runs to its end even when nothing else keeps the process alive: the checkpoint worker is
 * unref'd while it runs, and closing must wait for its last checkpoint (it once let the process exit mid-close,
 * before the database was closed and the final log line written).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { describe, expect, it } from 'vitest'

describe('engine close', () => {
  it('finishes in a process with nothing else to do: database closed, WAL folded in, last log line written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'engine-close-'))
    try {
      const out = execFileSync(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, 'close-child.ts'), dir],
        { encoding: 'utf8', timeout: 60_000 },
      )
      expect(out.trim().split('\n').at(-1)).toBe('closed')
      const logs = readdirSync(join(dir, 'logs')).map((f) => readFileSync(join(dir, 'logs', f), 'utf8'))
      expect(logs.join('')).toContain('how long kill-safe writes waited for the disk')
      // The last connection closed cleanly: the WAL was checkpointed into the database and removed.
      expect(readdirSync(dir)).not.toContain('engine.db-wal')
      const db = new DatabaseSync(join(dir, 'engine.db'), { readOnly: true })
      expect(db.prepare("SELECT status FROM attempts WHERE attempt_id = 'a1'").get()).toEqual({
        status: 'pending',
      })
      db.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
