import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CsvFileWriter } from '../../../electron/engine/billing/csv'
import { removeStalePartials } from '../../../electron/engine/billing/stale-partials'

describe('stale export files', () => {
  it('removes exactly the temporary files a killed export leaves, and nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'partials-'))
    try {
      // A real export's temporary file, abandoned mid-write (as after kill -9).
      const f = new CsvFileWriter(join(dir, 'invoice-2026-11-t1.csv'), ['a', 'b'])
      await f.row(['1', '2'])
      for (let i = 0; i < 100 && !existsSync(f.tmp); i++) await new Promise((r) => setTimeout(r, 10))
      writeFileSync(join(dir, 'keep.csv'), 'x')
      writeFileSync(join(dir, 'notes.partial'), 'x') // not ours: no random suffix
      writeFileSync(join(dir, 'x.abcdefabcdef.partial.txt'), 'x')
      expect(readdirSync(dir).some((n) => n === f.tmp.split('/').pop())).toBe(true)
      expect(removeStalePartials(dir)).toBe(1)
      expect(existsSync(f.tmp)).toBe(false)
      expect(readdirSync(dir).sort()).toEqual(['keep.csv', 'notes.partial', 'x.abcdefabcdef.partial.txt'])
      expect(removeStalePartials(join(dir, 'missing'))).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
