/**
 * An invoice's detail rows, streamed in chunks for exports over millions of rows.
 *
 * `pagedSolvedDetail` reads keyset pages on the calling thread (any ledger). `workerSolvedDetail` reads them on a
 * worker thread with its own read-only connection and one read transaction (a consistent snapshot), while the caller
 * formats and writes the previous chunks: reading (SQLite stepping and building values) and formatting each take
 * about half an export's time, so on two cores the export takes about as long as the longer of the two. Chunks cross
 * packed (the numbers in a transferred Float64Array, the task ids as one string with their lengths, the types as codes),
 * which costs far less to hand over than thousands of separate values; at most `window` chunks are ahead of the reader, so memory stays flat however long the month.
 *
 * The worker's code is a string evaluated as CommonJS, like the checkpointer's (db/checkpointer.ts): no separate file
 * for the bundler, the test runner and the TypeScript loader to each resolve differently.
 */
import { Worker } from 'node:worker_threads'
import type { CaptchaType } from '@shared/captcha'
import type { SolvedDetailChunk, SolvedRow, SolvedSlice } from './types'

type Page = (slice: SolvedSlice, after: { endedAt: number; attemptId: string }, limit: number) => SolvedRow[]

// Measured on 1,000,000 rows: 1,000-row chunks with two ahead keep the peak ~30 MB lower than 4,000 × 4, as fast.
const DEFAULT_CHUNK_ROWS = 1_000

const chunkOf = (rows: SolvedRow[]): SolvedDetailChunk => {
  const numbers = new Float64Array(rows.length * 4)
  rows.forEach((r, i) => {
    numbers[i * 4] = Number(r[3])
    numbers[i * 4 + 1] = Number(r[4])
    numbers[i * 4 + 2] = Number(r[5])
    numbers[i * 4 + 3] = Number(r[6])
  })
  return { taskIds: rows.map((r) => r[1]), types: rows.map((r) => r[2]), numbers }
}

const startOf = (slice: SolvedSlice) => ({ endedAt: slice.endedFrom - 1, attemptId: '' })

export async function* pagedSolvedDetail(
  page: Page,
  slice: SolvedSlice,
  chunkRows = DEFAULT_CHUNK_ROWS,
): AsyncGenerator<SolvedDetailChunk> {
  let after = startOf(slice)
  for (;;) {
    const rows = page(slice, after, chunkRows)
    if (rows.length === 0) return
    const last = rows[rows.length - 1]!
    after = { endedAt: Number(last[3]), attemptId: last[0] }
    yield chunkOf(rows)
    if (rows.length < chunkRows) return
  }
}

/**
 * The first `firstRows` rows are read here: most tenants' months fit in them, and a worker costs ~55 ms to start
 * (an export of 500 small tenants would otherwise wait half a minute for workers). The rest, if any, comes from
 * `rest`, given the keyset position after the first page.
 */
export async function* firstPageThen(
  page: Page,
  slice: SolvedSlice,
  firstRows: number,
  rest: (after: { endedAt: number; attemptId: string }) => AsyncIterable<SolvedDetailChunk>,
): AsyncGenerator<SolvedDetailChunk> {
  const rows = page(slice, startOf(slice), firstRows)
  if (rows.length === 0) return
  yield chunkOf(rows)
  if (rows.length < firstRows) return
  const last = rows[rows.length - 1]!
  yield* rest({ endedAt: Number(last[3]), attemptId: last[0] })
}

/** Shared with the worker: [credits granted, stop requested]. */
const CREDITS = 0
const STOP = 1

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { DatabaseSync } = require('node:sqlite')
const { path, sql, params, chunkRows, control } = workerData
const flags = new Int32Array(control)
let db
try {
  db = new DatabaseSync(path, { readOnly: true })
  db.exec('PRAGMA busy_timeout = 5000')
  const rows = db.prepare(sql)
  rows.setReturnArrays(true)
  db.exec('BEGIN')
  let sent = 0
  let n = 0
  // Per chunk: the task ids as one string with their lengths (-1: none), the types as codes into a small table, and
  // the numbers — cheaper to hand over than thousands of separate strings.
  let ids, lengths, typeCodes, typeNames, typeIndex, numbers
  const post = () => {
    // Wait until the reader has room (credits), unless it asked us to stop.
    // (Waits on the value just checked: a credit granted in between wakes it at once.)
    for (;;) {
      if (Atomics.load(flags, ${STOP}) !== 0) break
      const credits = Atomics.load(flags, ${CREDITS})
      if (credits > sent) break
      Atomics.wait(flags, ${CREDITS}, credits, 1000)
    }
    if (Atomics.load(flags, ${STOP}) !== 0) return false
    sent++
    const chunk = {
      ids: ids.join(''),
      lengths: n === chunkRows ? lengths : lengths.slice(0, n),
      typeCodes: n === chunkRows ? typeCodes : typeCodes.slice(0, n),
      typeNames,
      numbers: n === chunkRows ? numbers : numbers.slice(0, n * 4),
    }
    parentPort.postMessage(chunk, [chunk.lengths.buffer, chunk.typeCodes.buffer, chunk.numbers.buffer])
    n = 0
    return true
  }
  let going = true
  for (const r of rows.iterate(...params)) {
    if (n === 0) {
      ids = []
      lengths = new Int32Array(chunkRows)
      typeCodes = new Uint16Array(chunkRows)
      typeNames = []
      typeIndex = new Map()
      numbers = new Float64Array(chunkRows * 4)
    }
    const id = r[0]
    if (id === null) lengths[n] = -1
    else {
      ids.push(id)
      lengths[n] = id.length
    }
    let code = typeIndex.get(r[1])
    if (code === undefined) {
      code = typeNames.length
      typeNames.push(r[1])
      typeIndex.set(r[1], code)
    }
    typeCodes[n] = code
    numbers[n * 4] = Number(r[2])
    numbers[n * 4 + 1] = Number(r[3])
    numbers[n * 4 + 2] = Number(r[4])
    numbers[n * 4 + 3] = Number(r[5])
    if (++n === chunkRows && !(going = post())) break
  }
  if (going && n > 0) going = post()
  db.exec('COMMIT')
  if (going) parentPort.postMessage({ done: true })
} catch (e) {
  parentPort.postMessage({ error: String((e && e.message) || e) })
} finally {
  try { db && db.close() } catch {}
}
`

interface PackedChunk {
  ids: string
  lengths: Int32Array
  typeCodes: Uint16Array
  typeNames: CaptchaType[]
  numbers: Float64Array
}
type Message = PackedChunk | { done: true } | { error: string }

function unpack(m: PackedChunk): SolvedDetailChunk {
  const n = m.lengths.length
  const taskIds = new Array<string | null>(n)
  const types = new Array<CaptchaType>(n)
  let at = 0
  for (let i = 0; i < n; i++) {
    const len = m.lengths[i]!
    if (len < 0) taskIds[i] = null
    else {
      taskIds[i] = m.ids.slice(at, at + len)
      at += len
    }
    types[i] = m.typeNames[m.typeCodes[i]!]!
  }
  return { taskIds, types, numbers: m.numbers }
}

/**
 * `sql` run with `params` on a worker over the database file at `path`, in one read transaction; its columns: task
 * id, type, ended, thread ms, cost, price — in the order the detail lists them. (About 55 ms to start a worker:
 * callers read small slices on their own thread first, see `firstPageThen`.)
 */
export async function* workerSolvedDetail(
  path: string,
  sql: string,
  params: Array<string | number>,
  options: { chunkRows?: number; window?: number } = {},
): AsyncGenerator<SolvedDetailChunk> {
  const control = new SharedArrayBuffer(8)
  const flags = new Int32Array(control)
  const window = options.window ?? 2
  Atomics.store(flags, CREDITS, window)
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path, sql, params, chunkRows: options.chunkRows ?? DEFAULT_CHUNK_ROWS, control },
  })
  const inbox: Message[] = []
  let wake: (() => void) | undefined
  let failure: Error | undefined
  const notify = (): void => {
    const w = wake
    wake = undefined
    w?.()
  }
  worker.on('message', (m: Message) => {
    inbox.push(m)
    notify()
  })
  worker.on('error', (err) => {
    failure = err
    notify()
  })
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      if (!failure && !inbox.some((m) => 'done' in m || 'error' in m))
        failure = new Error('the export reader stopped before it had read every row')
      resolve()
      notify()
    }),
  )
  try {
    for (;;) {
      const m = inbox.shift()
      if (!m) {
        if (failure) throw failure
        await new Promise<void>((resolve) => (wake = resolve))
        continue
      }
      if ('error' in m) throw new Error(`Reading the ledger for the export failed: ${m.error}`)
      if ('done' in m) return
      // Room for one more chunk ahead, then hand this one over.
      Atomics.add(flags, CREDITS, 1)
      Atomics.notify(flags, CREDITS)
      yield unpack(m)
    }
  } finally {
    // Also when the consumer stops early (an error writing the file): the worker ends and its connection closes.
    Atomics.store(flags, STOP, 1)
    Atomics.add(flags, CREDITS, 1) // changes the value the worker may be waiting on, so the wake is not lost
    Atomics.notify(flags, CREDITS)
    await exited
  }
}
