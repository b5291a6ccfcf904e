/** The export's detail reader on a worker thread: every row in order, packed and unpacked, bounded, stoppable. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../../electron/engine/db/database'
import { workerSolvedDetail } from '../../../electron/engine/ledger/solved-detail'
import { sqliteBillingReads } from '../../../electron/engine/ledger/sqlite-billing-reads'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'
import type { SolvedDetailChunk } from '../../../electron/engine/ledger/types'

const ROWS = 2_500
const SQL = `SELECT upstream_task_id, captcha_type, ended_at, thread_ms, cost_micros, price_micros FROM attempts
  WHERE tenant_id = ? AND status = 'solved' ORDER BY ended_at, attempt_id`
let dir: string
let path: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'solved-detail-'))
  path = join(dir, 'engine.db')
  const db = openDatabase(path)
  await openSqliteLedger(db).close()
  // Every 7th row has no task id; task ids of varied length (and one with a comma and a line break); three types.
  db.prepare(
    `WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < ${ROWS})
     INSERT INTO attempts (attempt_id, tenant_id, captcha_type, provider_account, upstream_task_id, status, source,
       created_at, submitted_at, ready_at, ended_at, thread_ms, cost_micros, price_micros, settled_at)
     SELECT printf('a%05d', i), 't1', CASE i % 3 WHEN 0 THEN 'image' WHEN 1 THEN 'turnstile' ELSE 'geetest' END,
       'acct', CASE WHEN i % 7 = 0 THEN NULL WHEN i = 5 THEN 'odd,id' || char(10) || 'x' ELSE printf('%0*d', 1 + i % 12, i) END,
       'solved', 'api', i, i, i, 1000 + i / 2, i * 3, i * 1000, 9007199254740 + i, 5000 FROM s`,
  ).run()
  db.close()
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const flatten = (chunks: SolvedDetailChunk[]) =>
  chunks.flatMap((c) =>
    c.taskIds.map((id, i) => [id, c.types[i], ...c.numbers.subarray(i * 4, i * 4 + 4)] as const),
  )

describe('workerSolvedDetail', () => {
  it('hands over every row, in order, in chunks of at most chunkRows', async () => {
    const chunks: SolvedDetailChunk[] = []
    for await (const c of workerSolvedDetail(path, SQL, ['t1'], { chunkRows: 100, window: 1 })) chunks.push(c)
    expect(chunks.every((c) => c.taskIds.length <= 100)).toBe(true)
    expect(chunks).toHaveLength(25)
    const db = openDatabase(path)
    const q = db.prepare(SQL)
    q.setReturnArrays(true)
    const expected = (q.all('t1') as unknown as unknown[][]).map((r) =>
      r.map((v) => (typeof v === 'bigint' ? Number(v) : v)),
    )
    db.close()
    expect(flatten(chunks)).toEqual(expected)
    expect(flatten(chunks)[5]![0]).toBe('odd,id\nx')
    expect(flatten(chunks)[7]![0]).toBeNull()
    expect(flatten(chunks)[ROWS - 1]![5]).toBe(9007199254740 + ROWS - 1) // large integers stay exact
  })

  it('stops the worker when the reader stops early (no hang, the next read works)', async () => {
    let seen = 0
    for await (const c of workerSolvedDetail(path, SQL, ['t1'], { chunkRows: 10, window: 1 })) {
      seen += c.taskIds.length
      break
    }
    expect(seen).toBe(10)
    let all = 0
    for await (const c of workerSolvedDetail(path, SQL, ['t1'])) all += c.taskIds.length
    expect(all).toBe(ROWS)
  })

  it('reports a database it cannot read as an error, not as an empty export', async () => {
    const read = async () => {
      for await (const _ of workerSolvedDetail(join(dir, 'missing.db'), SQL, ['t1'])) void _
    }
    await expect(read()).rejects.toThrow(/Reading the ledger for the export failed/)
    const bad = async () => {
      for await (const _ of workerSolvedDetail(path, 'SELECT nope FROM attempts', [])) void _
    }
    await expect(bad()).rejects.toThrow(/no such column/)
  })

  it('the ledger reads the first page itself and the rest on a worker, with no row lost or repeated at the seam', async () => {
    const db = openDatabase(path)
    const slice = {
      tenantId: 't1',
      endedFrom: 0,
      endedTo: 10_000_000,
      settledFrom: 0,
      settledTo: Number.MAX_SAFE_INTEGER,
      selective: 'ended' as const,
    }
    const q = db.prepare(SQL)
    q.setReturnArrays(true)
    const expected = (q.all('t1') as unknown as unknown[][]).map((r) =>
      r.map((v) => (typeof v === 'bigint' ? Number(v) : v)),
    )
    // Rows 7 and 8 end at the same millisecond: the seam falls between two rows with the same time.
    const split: SolvedDetailChunk[] = []
    for await (const c of sqliteBillingReads(db, { firstPageRows: 7 }).solvedDetail(slice)) split.push(c)
    expect(split[0]!.taskIds).toHaveLength(7)
    expect(flatten(split)).toEqual(expected)
    // A month that fits in the first page never starts a worker: one chunk, read here.
    const small: SolvedDetailChunk[] = []
    for await (const c of sqliteBillingReads(db).solvedDetail(slice)) small.push(c)
    expect(small).toHaveLength(1)
    expect(flatten(small)).toEqual(expected)
    db.close()
  })
})
