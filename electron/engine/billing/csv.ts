/**
 * CSV written with papaparse: RFC 4180 (CRLF, quoted when needed), and inert in spreadsheets. A text cell that
 * begins with = + - @ TAB CR or a single quote gets one leading single quote (OWASP's CSV-injection advice); reading
 * back, one leading quote is removed — a lossless rule, so every field round-trips exactly.
 */
import { once } from 'node:events'
import { createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs'
import Papa from 'papaparse'

const DANGEROUS = /^['=+\-@\t\r]/

export function neutralise(value: string): string {
  return DANGEROUS.test(value) ? `'${value}` : value
}

export function restore(value: string): string {
  return value.startsWith("'") ? value.slice(1) : value
}

export type Cell = string | { number: string }

function cell(c: Cell): string {
  return typeof c === 'string' ? neutralise(c) : c.number
}

/** Streams rows to `path` through a temp file: the file appears whole or not at all. */
export class CsvFileWriter {
  private readonly tmp: string
  private readonly out: WriteStream
  private pending: string[][] = []
  private failed: Error | undefined

  constructor(
    private readonly path: string,
    header: string[],
    private readonly chunkRows = 5_000,
  ) {
    this.tmp = `${path}.partial`
    this.out = createWriteStream(this.tmp, { mode: 0o600 })
    this.out.on('error', (e) => (this.failed = e))
    this.out.write(`${Papa.unparse([header], { newline: '\r\n' })}\r\n`)
  }

  async row(cells: Cell[]): Promise<void> {
    if (this.push(cells)) await this.flushChunk()
  }

  /** Queues a row; true when a chunk is full and `flushChunk()` should be awaited (no await per row). */
  push(cells: Cell[]): boolean {
    this.pending.push(cells.map(cell))
    return this.pending.length >= this.chunkRows
  }

  /** Queues a row of cells that are already safe (numbers, timestamps, fixed words) or neutralised by the caller. */
  pushRaw(cells: string[]): boolean {
    this.pending.push(cells)
    return this.pending.length >= this.chunkRows
  }

  async flushChunk(): Promise<void> {
    if (this.failed) throw this.failed
    if (this.pending.length === 0) return
    const text = `${Papa.unparse(this.pending, { newline: '\r\n', header: false })}\r\n`
    this.pending = []
    if (!this.out.write(text)) await once(this.out, 'drain')
  }

  async close(): Promise<void> {
    await this.flushChunk()
    await new Promise<void>((resolve, reject) =>
      this.out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    )
    if (this.failed) throw this.failed
    renameSync(this.tmp, this.path)
  }

  abort(): void {
    this.out.destroy()
    rmSync(this.tmp, { force: true })
  }
}

/** Reads a CSV back (papaparse) and restores neutralised cells: for tests and re-imports. */
export function parseCsv(text: string): string[][] {
  const parsed = Papa.parse<string[]>(text, { skipEmptyLines: true })
  return parsed.data.map((row) => row.map(restore))
}
