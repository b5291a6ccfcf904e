/**
 * The engine's structured log (pino): JSON lines in a rotating file in the data folder (`logs/`, 10 MB × 5 files,
 * mode 0600), and the console too in development. Everything passes the audit log's redaction first: fields named
 * like secrets become "[redacted]", key-shaped runs inside any string (messages, error text, stacks) too.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import pino, { type Logger as PinoLogger } from 'pino'
import roll from 'pino-roll'
import { redactSecrets, scrubString } from './redact'

export type Logger = PinoLogger

/** Where the log files go inside a data folder (rotated files are numbered: captchadesk.1.log, .2.log, …). */
const logFileBase = (dataDir: string): string => join(dataDir, 'logs', 'captchadesk.log')

/** An error as plain, redacted fields (pino's own serializer, then the redaction). */
function plainError(e: Error): unknown {
  return redactSecrets(pino.stdSerializers.err(e)).value
}

function redactForLog(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(obj)) out[k] = v instanceof Error ? plainError(v) : v
  return redactSecrets(out).value as Record<string, unknown>
}

const BASE_OPTIONS: pino.LoggerOptions = {
  base: { pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { log: redactForLog },
  hooks: {
    // Messages are free text: scrub key-shaped runs there too.
    logMethod(args, method) {
      const scrubbed = args.map((a) => (typeof a === 'string' ? scrubString(a).text : a))
      return method.apply(this, scrubbed as Parameters<typeof method>)
    },
  },
}

export async function createFileLogger(options: {
  dataDir: string
  level?: pino.Level
  /** Also write to stdout (development). Default: NODE_ENV === 'development'. */
  console?: boolean
}): Promise<{ log: Logger; close(): void }> {
  const file = await roll({
    file: logFileBase(options.dataDir),
    size: '10m',
    mkdir: true,
    limit: { count: 4 },
    // Error lines are rare and must survive a crash right after them: written at once.
    sync: true,
    mode: 0o600,
  })
  const toConsole = options.console ?? process.env.NODE_ENV === 'development'
  const level = options.level ?? 'info'
  const destination = toConsole
    ? pino.multistream([
        { stream: file, level },
        { stream: process.stdout, level },
      ])
    : file
  return {
    log: pino({ ...BASE_OPTIONS, level }, destination),
    close: () => file.end(),
  }
}

/** A short id for an unexpected error: in the reply to the person and in the log line, so one finds the other. */
export function newErrorId(): string {
  return randomBytes(5).toString('hex')
}
