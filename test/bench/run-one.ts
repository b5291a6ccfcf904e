/**
 * One bench in its own process (started by run-all.ts): argv <bench file> <quick|full> <figures.json>.
 * Writes the figures it recorded (also when the bench throws), exits 1 when the bench throws.
 */
import { writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createBenchContext, type BenchContext } from './bench-kit'

const [file, size, out] = process.argv.slice(2) as [string, string, string]
const ctx = createBenchContext(basename(file).replace('.bench.ts', ''), size === 'quick')
let failed = false
try {
  const mod = (await import(pathToFileURL(file).href)) as { run: (ctx: BenchContext) => Promise<void> }
  await mod.run(ctx)
} catch (err) {
  failed = true
  console.error(err)
} finally {
  writeFileSync(out, JSON.stringify(ctx.figures))
}
// Benches close what they open; an exit here also ends anything a failed one left behind.
process.exit(failed ? 1 : 0)
