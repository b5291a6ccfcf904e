/**
 * `npm run bench` runs every test/bench/*.bench.ts in turn. Each module exports `run(): Promise<void>`, prints
 * its figures beside a baseline measured in the same run. `npm run bench -- vault ledger` runs only those.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const dir = import.meta.dirname
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'))
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()

for (const file of files) {
  console.log(`\n=== ${file.replace('.bench.ts', '')} ===`)
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as { run: () => Promise<void> }
  await mod.run()
}
console.log(`\n${files.length} benchmark file(s) run.`)
