/**
 * What every `npm run …` command does with its arguments: strict parsing (no positionals, no unknown options), and
 * on a bad one the command's name, the problem and its usage on stderr, exit code 2.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util'

export interface CommandLine<O extends ParseArgsOptionsConfig> {
  values: ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values']
  /** Says what is wrong and how to call the command, and exits with code 2. */
  fail(message: string): never
}

export function parseCommandLine<const O extends ParseArgsOptionsConfig>(
  command: string,
  usage: string,
  options: O,
): CommandLine<O> {
  const fail = (message: string): never => {
    console.error(`${command}: ${message}`)
    console.error(usage)
    process.exit(2)
  }
  try {
    return { values: parseArgs({ options, strict: true, allowPositionals: false }).values, fail }
  } catch (err) {
    return fail((err as Error).message)
  }
}
