/**
 * `npm run bench` runs every test/bench/*.bench.ts, each in a process of its own, to the end even when one fails
 * (the run then exits non-zero). Each bench prints its figures beside a baseline measured in the same run.
 *
 *   npm run bench                         every bench at full size
 *   npm run bench -- provider ledger      only the benches whose file name contains one of these words
 *   npm run bench -- --quick              every bench at a small size (part of `npm test`; under 3 minutes)
 *   npm run bench -- --json FILE          also write every figure as {bench, metric, value, unit, goal, met}
 *
 * Goals are reported (a summary of met / not met at the end); only a bench that throws or times out fails the run.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import type { Figure } from './bench-kit'

const dir = import.meta.dirname
const args = process.argv.slice(2)
const quick = args.includes('--quick')
const jsonAt = args.indexOf('--json')
const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined
if (jsonAt >= 0 && (!jsonFile || jsonFile.startsWith('-'))) {
  console.error('--json needs a file name: npm run bench -- --json figures.json')
  process.exit(2)
}
const known = new Set(['--quick', '--json'])
const unknown = args.filter((a, i) => a.startsWith('-') && !known.has(a) && !(i === jsonAt + 1))
if (unknown.length > 0) {
  console.error(`Unknown option(s): ${unknown.join(' ')} (known: --quick, --json FILE)`)
  process.exit(2)
}
const only = args.filter((a, i) => !a.startsWith('-') && !(jsonAt >= 0 && i === jsonAt + 1))
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()
if (files.length === 0) {
  console.error(`No bench matches ${only.join(', ')}.`)
  process.exit(2)
}

/** Every bench is bounded in time; its whole process group is killed past this. */
const LIMIT_MS = quick ? 150_000 : 30 * 60_000
const scratch = mkdtempSync(join(tmpdir(), 'bench-figures-'))
const children = new Set<number>()
const killGroup = (pid: number): void => {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // already gone
  }
}
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    for (const pid of children) killGroup(pid)
    process.exit(130)
  })

interface Outcome {
  bench: string
  ok: boolean
  seconds: number
  why?: string
}

function runOne(file: string, out: string): Promise<Outcome> {
  const bench = file.replace('.bench.ts', '')
  const t0 = performance.now()
  return new Promise((done) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(dir, 'run-one.ts'), join(dir, file), quick ? 'quick' : 'full', out],
      { stdio: 'inherit', detached: true },
    )
    const pid = child.pid!
    children.add(pid)
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(pid)
    }, LIMIT_MS)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      children.delete(pid)
      killGroup(pid) // anything the bench left behind (a Sandbox, a load generator)
      const seconds = (performance.now() - t0) / 1000
      if (timedOut) done({ bench, ok: false, seconds, why: `timed out after ${LIMIT_MS / 1000} s` })
      else if (code === 0) done({ bench, ok: true, seconds })
      else done({ bench, ok: false, seconds, why: signal ? `killed by ${signal}` : `exit code ${code}` })
    })
  })
}

const outcomes: Outcome[] = []
const figures: Figure[] = []
for (const file of files) {
  console.log(`\n=== ${file.replace('.bench.ts', '')}${quick ? ' (quick)' : ''} ===`)
  const out = join(scratch, `${file}.json`)
  const o = await runOne(file, out)
  outcomes.push(o)
  try {
    figures.push(...(JSON.parse(readFileSync(out, 'utf8')) as Figure[]))
  } catch {
    // the bench died before writing any figure
  }
  if (!o.ok) console.error(`\n*** bench ${o.bench} FAILED: ${o.why} ***`)
}
rmSync(scratch, { recursive: true, force: true })

if (jsonFile) {
  const target = resolve(jsonFile)
  const tmp = join(dirname(target), `.${Date.now()}.bench.partial`)
  writeFileSync(tmp, `${JSON.stringify(figures, null, 2)}\n`)
  renameSync(tmp, target)
}

console.log('\n=== summary ===')
const withGoal = figures.filter((f) => f.goal !== null)
if (withGoal.length > 0)
  console.table(
    withGoal.map((f) => ({
      bench: f.bench,
      metric: f.metric,
      value: `${f.value} ${f.unit}`,
      goal: `${f.goal} ${f.unit}`,
      met: f.met ? 'yes' : 'NO',
    })),
  )
console.table(
  outcomes.map((o) => ({
    bench: o.bench,
    result: o.ok ? 'ok' : `FAILED (${o.why})`,
    s: o.seconds.toFixed(1),
  })),
)
const failed = outcomes.filter((o) => !o.ok)
console.log(
  `${files.length} bench(es) run${quick ? ' at quick size (goals are for the full size)' : ''}; ` +
    `${failed.length} failed; ${withGoal.filter((f) => f.met).length}/${withGoal.length} goals met` +
    (jsonFile ? `; figures in ${jsonFile}` : '') +
    '.',
)
process.exit(failed.length > 0 ? 1 : 0)
