/**
 * A killed export leaves its temporary files (`<name>.<12 hex>.partial`, see csv.ts) behind; they are removed when
 * the engine starts and before every export into a folder. Only files of exactly that shape are touched.
 */
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const PARTIAL = /\.[0-9a-f]{12}\.partial$/

/** Removes our stale temporary export files in `dir`; returns how many. A missing folder is fine. */
export function removeStalePartials(dir: string): number {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return 0
  }
  let n = 0
  for (const name of names) {
    if (!PARTIAL.test(name)) continue
    try {
      rmSync(join(dir, name), { force: true })
      n++
    } catch {
      // in use or gone: the next run tries again
    }
  }
  return n
}
