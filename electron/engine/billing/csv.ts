/**
 * CSV written with papaparse: RFC 4180 (CRLF line ends, fields quoted when they hold a comma, quote, CR or LF), and
 * inert in spreadsheets.
 *
 * Injection rule (OWASP "CSV injection"): a text cell that begins with = + - @ TAB CR — or with a single quote —
 * gets ONE extra leading single quote, so Excel, LibreOffice and Sheets show it as text and never evaluate it.
 * Round-trip rule: reading back, ONE leading single quote is removed from every text cell. Because a cell that
 * already began with a quote was also prefixed on the way out, the rule is lossless: restore(neutralise(s)) === s
 * for every string. Number cells (amounts, counts, timestamps) are written as they are and never begin with a quote.
 */
import { once } from 'node:events'
import { createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname } from 'node:path'
import { fsyncDir } from '../files/durable-write'
import Papa from 'papaparse'

const DANGEROUS = /^['=+\-@\t\r]/

export function neutralise(value: string): string {
  return DANGEROUS.test(value) ? `'${value}` : value
}

export function restore(value: string): string {
  return value.charCodeAt(0) === 39 /* ' */ ? value.slice(1) : value
}

/** A text cell (neutralised on write) or a number cell written verbatim. */
export type Cell = string | { number: string }

function cell(c: Cell): string {
  return typeof c === 'string' ? neutralise(c) : c.number
}

/** What makes a field need quotes: the rules papaparse's unparse applies (and RFC 4180 asks for). */
const NEEDS_QUOTES = /[,"\r\n\uFEFF]/

/**
 * One field as CSV: quoted (quotes doubled) when it holds a comma, quote, CR, LF or BOM or begins or ends with a
 * space, else as it is — the same output as papaparse's unparse, without its per-field overhead.
 */
export function csvField(value: string): string {
  if (NEEDS_QUOTES.test(value) || value.charCodeAt(0) === 32 || value.charCodeAt(value.length - 1) === 32)
    return `"${value.replaceAll('"', '""')}"`
  return value
}

const csvLine = (cells: string[]): string => cells.map(csvField).join(',')

/**
 * Streams rows to a temp file beside `path` and, on `commit()`, fsyncs it and renames it into place: the file
 * appears whole or not at all. Rows are encoded as they come (`csvField`), written a chunk of lines at a time, and
 * the stream's backpressure is awaited, so memory stays flat for any row count.
 */
export class CsvFileWriter {
  readonly tmp: string
  private readonly out: WriteStream
  private pending = ''
  private pendingRows = 0
  private failed: Error | undefined
  private ended = false
  rows = 0

  private readonly chunkRows: number

  constructor(
    readonly path: string,
    header: string[],
    options: { chunkRows?: number; bom?: boolean } = {},
  ) {
    this.chunkRows = options.chunkRows ?? 2000
    this.tmp = `${path}.${randomBytes(6).toString('hex')}.partial`
    // flush: fsync before the descriptor closes, so the rename below never exposes an empty or short file.
    this.out = createWriteStream(this.tmp, { mode: 0o600, flush: true, highWaterMark: 1 << 18 })
    this.out.on('error', (e) => (this.failed ??= e))
    this.out.write(`${options.bom ? '\uFEFF' : ''}${csvLine(header)}\r\n`)
  }

  /** Queues a row (text cells neutralised) and writes a chunk when one is full. */
  async row(cells: Cell[]): Promise<void> {
    if (this.push(cells)) await this.flushChunk()
  }

  /** Queues a row; true when a chunk is full and `flushChunk()` should be awaited (no await per row). */
  push(cells: Cell[]): boolean {
    return this.pushLine(cells.map((c) => csvField(cell(c))).join(','))
  }

  /** Queues a row whose cells are already safe: numbers, timestamps, fixed words, or `neutralise`d text. */
  pushRaw(cells: string[]): boolean {
    return this.pushLine(csvLine(cells))
  }

  /**
   * Queues one line already encoded as CSV (fields joined by commas, each safe and passed through `csvField` where it
   * may need quotes), without its line end: the fast path for millions of detail rows.
   */
  pushLine(line: string): boolean {
    this.pending += `${line}\r\n`
    return ++this.pendingRows >= this.chunkRows
  }

  async flushChunk(): Promise<void> {
    if (this.failed) throw this.failed
    if (this.pendingRows === 0) return
    const text = this.pending
    this.rows += this.pendingRows
    this.pending = ''
    this.pendingRows = 0
    if (!this.out.write(text)) await once(this.out, 'drain') // rejects if the stream errors meanwhile
    if (this.failed) throw this.failed
  }

  /** Writes what is left and closes the temp file (fsynced). The file is not in place until `rename()`. */
  async finish(): Promise<void> {
    await this.flushChunk()
    this.ended = true
    await new Promise<void>((resolve, reject) => {
      this.out.end()
      this.out.once('close', () => (this.failed ? reject(this.failed) : resolve()))
      this.out.once('error', reject)
    })
  }

  /** Moves the finished temp file into place and fsyncs the folder so the rename itself survives a crash. */
  rename(): void {
    if (!this.ended) throw new Error('finish() before rename()')
    renameSync(this.tmp, this.path)
    fsyncDir(dirname(this.path))
  }

  async commit(): Promise<void> {
    await this.finish()
    this.rename()
  }

  /** Stops writing and removes the temp file (after the stream has let go of it). */
  async abort(): Promise<void> {
    if (!this.out.closed) {
      const closed = once(this.out, 'close').catch(() => undefined)
      this.out.destroy()
      await closed
    }
    rmSync(this.tmp, { force: true })
  }
}

/** Finishes every writer, then renames them all: a set of files appears together or (on error) not at all. */
export async function commitAll(writers: CsvFileWriter[]): Promise<void> {
  try {
    for (const w of writers) await w.finish()
  } catch (err) {
    for (const w of writers) await w.abort()
    throw err
  }
  for (const w of writers) w.rename()
}

/** Reads a CSV back (papaparse) and restores neutralised cells: the documented inverse of the writer. */
export function parseCsv(text: string): string[][] {
  const parsed = Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { skipEmptyLines: true })
  if (parsed.errors.length > 0) throw new Error(`CSV parse error: ${parsed.errors[0]!.message}`)
  return parsed.data.map((row) => row.map(restore))
}
