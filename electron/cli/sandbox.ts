/**
 * `npm run sandbox -- --port 0 --speed 100 [--seed N] [--threads N] [--host 127.0.0.1]`
 * Runs the simulated upstream alone, for trying clients against it. Stops on Ctrl-C.
 */
import { SANDBOX_DEMO_KEY, startSandbox } from '../engine/sandbox'
import { parseCommandLine } from './command-line'

const { values: args, fail } = parseCommandLine(
  'sandbox',
  'usage: npm run sandbox -- [--port N] [--speed X] [--seed N] [--threads N] [--host 127.0.0.1]',
  {
    port: { type: 'string' },
    speed: { type: 'string' },
    seed: { type: 'string' },
    threads: { type: 'string' },
    host: { type: 'string' },
  },
)

function numberArg(
  name: string,
  value: string | undefined,
  fallback: number,
  check: (n: number) => boolean,
): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || !check(n)) fail(`--${name} ${JSON.stringify(value)} is not valid`)
  return n
}

const port = numberArg('port', args.port, 0, (n) => Number.isInteger(n) && n >= 0 && n <= 65535)
const speed = numberArg('speed', args.speed, 1, (n) => n > 0 && n <= 1_000_000)
const seed = numberArg('seed', args.seed, 1, Number.isInteger)
const threads = numberArg('threads', args.threads, 50, (n) => Number.isInteger(n) && n >= 1 && n <= 100_000)
const host = args.host ?? '127.0.0.1'
if (!['127.0.0.1', 'localhost', '::1'].includes(host))
  fail('the Sandbox binds only to loopback (127.0.0.1, localhost, ::1)')

const sandbox = await startSandbox({ port, speed, seed, host, keys: [{ key: SANDBOX_DEMO_KEY, threads }] })
console.log(
  `Sandbox upstream listening on ${sandbox.url}  (speed ×${speed}, seed ${seed}, ${threads} threads)`,
)
console.log(`  in.php:  ${sandbox.url}/in.php`)
console.log(`  res.php: ${sandbox.url}/res.php`)
console.log(`  demo key (public test data, Sandbox only): ${SANDBOX_DEMO_KEY}`)
const stop = (): void => {
  void sandbox.close().then(() => process.exit(0))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
