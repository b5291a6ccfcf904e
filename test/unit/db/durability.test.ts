/** Durability off the event loop: group commits that wait (or not) for the WAL's fsync, and checkpoints on a worker. */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { startCheckpointer, type CheckpointReport } from '../../../electron/engine/db/checkpointer'
import { openDatabase } from '../../../electron/engine/db/database'
import { GroupCommitter } from '../../../electron/engine/db/group-commit'
import { openWalDurability } from '../../../electron/engine/db/wal-durability'

let dir: string
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function fresh() {
  dir = mkdtempSync(join(tmpdir(), 'captchadesk-db-'))
  const path = join(dir, 'engine.db')
  const db = openDatabase(path)
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)')
  return { path, db }
}

describe('group commit with the WAL synced off the event loop', () => {
  it('a WAL-only write resolves at commit; a durable one only after the fsync; a failed fsync fails only those', async () => {
    const { db } = fresh()
    let release!: () => void
    let fail!: (e: Error) => void
    let syncs = 0
    const committer = new GroupCommitter(db, {
      noteUnsynced: () => undefined,
      sync: () => {
        syncs++
        return new Promise<void>((resolve, reject) => {
          release = resolve
          fail = reject
        })
      },
    })
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)')
    const order: string[] = []
    const walOnly = committer.write(() => insert.run('a'), { durable: false }).then(() => order.push('wal'))
    const durable = committer.write(() => insert.run('b')).then(() => order.push('durable'))
    await walOnly
    expect(order).toEqual(['wal'])
    // Both rows are committed (visible to another connection) although the durable one still waits for the disk.
    expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(2)
    expect(syncs).toBe(1)
    release()
    await durable
    expect(order).toEqual(['wal', 'durable'])

    const lost = committer.write(() => insert.run('c'))
    const fine = committer.write(() => insert.run('d'), { durable: false })
    await fine
    fail(new Error('disk gone'))
    await expect(lost).rejects.toThrow('disk gone')
  })

  it('the connection keeps its own synchronous level for everything else', async () => {
    const { db } = fresh()
    const committer = new GroupCommitter(db, { sync: () => Promise.resolve(), noteUnsynced: () => undefined })
    await committer.write(() => db.prepare('INSERT INTO t (v) VALUES (?)').run('x'))
    expect((db.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous).toBe(2) // FULL
  })

  it('a write alone in its commit that fails leaves nothing behind, and the next one commits', async () => {
    const { db } = fresh()
    const committer = new GroupCommitter(db, { sync: () => Promise.resolve(), noteUnsynced: () => undefined })
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)')
    const failing = committer.write(() => {
      insert.run('half-written')
      throw new Error('no')
    })
    await expect(failing).rejects.toThrow('no')
    await committer.write(() => insert.run('next'))
    expect(db.prepare('SELECT v FROM t').all()).toEqual([{ v: 'next' }])
  })

  it('a backlog commits a slice per tick, and a write a request waits on goes in the next commit ahead of it', async () => {
    const { db, path } = fresh()
    const wal = { sync: () => Promise.resolve(), noteUnsynced: () => undefined }
    // No backlog grows old in this test, however slow the machine: only the slicing is under test here.
    const committer = new GroupCommitter(db, wal, { maxBulkWaitMs: 60_000 })
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)')
    const reader = new DatabaseSync(path, { readOnly: true })
    const committed = (): number => (reader.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n
    const ran: string[] = []
    const row = (v: string) => () => {
      ran.push(v)
      insert.run(v)
    }
    // A batched poll's answers: a hundred deliveries queued in one tick.
    const backlog = Array.from({ length: 100 }, (_, i) => committer.write(row(`b${i}`), { durable: false }))
    const tick = (): Promise<void> => new Promise((r) => setImmediate(r))
    await tick()
    expect(ran).toHaveLength(32)
    expect(committed()).toBe(32) // committed, not only run: the next slice waits for the next tick
    // An in.php's ledger row, queued behind the other 68: it goes in the very next commit, first.
    const urgent = committer.write(row('u'), { durable: false, urgent: true })
    await tick()
    expect(ran.slice(32, 34)).toEqual(['u', 'b32'])
    expect(committed()).toBe(65)
    await Promise.all([...backlog, urgent])
    expect(ran.filter((v) => v !== 'u')).toEqual(Array.from({ length: 100 }, (_, i) => `b${i}`)) // in order
    expect(committed()).toBe(101)
    reader.close()
  })

  it('a backlog whose oldest write has waited too long goes in one commit', async () => {
    const { db } = fresh()
    const wal = { sync: () => Promise.resolve(), noteUnsynced: () => undefined }
    const committer = new GroupCommitter(db, wal, { maxBulkWaitMs: 0 }) // every backlog is overdue at once
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)')
    const writes = Array.from({ length: 100 }, (_, i) =>
      committer.write(() => insert.run(`r${i}`), { durable: false }),
    )
    await new Promise((r) => setImmediate(r))
    expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(100)
    await Promise.all(writes)
  })

  it('flush() commits everything queued at once, backlog included', async () => {
    const { db } = fresh()
    const committer = new GroupCommitter(db, { sync: () => Promise.resolve(), noteUnsynced: () => undefined })
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)')
    const writes = Array.from({ length: 80 }, (_, i) =>
      committer.write(() => insert.run(`r${i}`), { durable: false }),
    )
    committer.flush()
    expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(80)
    await Promise.all(writes)
  })

  it('commits at the level each write needs, whatever level the connection is at', async () => {
    const { db } = fresh()
    const level = () => (db.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous
    const wal = { sync: () => Promise.resolve(), noteUnsynced: () => undefined }
    // A FULL connection (the engine's main one): NORMAL for the commit (the WAL's fsync follows), FULL after.
    expect(await new GroupCommitter(db, wal).write(level)).toBe(1)
    expect(level()).toBe(2)
    // The solve path's connection (NORMAL): left at NORMAL, no switch at all.
    db.exec('PRAGMA synchronous = NORMAL')
    expect(await new GroupCommitter(db, wal).write(level)).toBe(1)
    // Without the WAL's fsync, a durable write on a NORMAL connection commits at FULL (COMMIT fsyncs); a kill-safe
    // one at NORMAL.
    const plain = new GroupCommitter(db)
    expect(await plain.write(level)).toBe(2)
    expect(await plain.write(level, { durable: false })).toBe(1)
    expect(level()).toBe(1)
  })

  it('fsyncs of the WAL coalesce: many callers while one runs share the next one', async () => {
    const { path, db } = fresh()
    db.exec("INSERT INTO t (v) VALUES ('x')") // the WAL file exists
    const wal = openWalDurability(path)
    await Promise.all(Array.from({ length: 50 }, () => wal.sync()))
    await wal.close()
    await expect(wal.sync()).rejects.toThrow('closed')
  })

  it('a kill-safe-only commit reaches the disk within the delay, and the wait is measured', async () => {
    const { path, db } = fresh()
    db.exec("INSERT INTO t (v) VALUES ('x')")
    const wal = openWalDurability(path, { maxDelayMs: 30 })
    wal.noteUnsynced()
    wal.noteUnsynced() // the same window: one fsync
    expect(wal.exposure().syncs).toBe(0)
    await new Promise((r) => setTimeout(r, 200))
    const e = wal.exposure()
    expect(e.syncs).toBe(1)
    expect(e.maxMs).toBeGreaterThanOrEqual(25)
    expect(e.maxMs).toBeLessThan(200)
    await wal.close()
  })
})

describe('checkpoints on a worker thread', () => {
  it('copy the WAL into the database while the main connection writes, so the WAL stops growing', async () => {
    const { path, db } = fresh()
    const reports: CheckpointReport[] = []
    const checkpointer = startCheckpointer(path, [db], { intervalMs: 20, onReport: (r) => reports.push(r) })
    expect(
      (db.prepare('PRAGMA wal_autocheckpoint').get() as { wal_autocheckpoint: number }).wal_autocheckpoint,
    ).toBe(0)
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)')
    const row = 'x'.repeat(2_000)
    for (let round = 0; round < 40; round++) {
      db.exec('BEGIN')
      for (let i = 0; i < 50; i++) insert.run(row)
      db.exec('COMMIT')
      await new Promise((r) => setTimeout(r, 25))
    }
    await checkpointer.close()
    // 4 MB of rows went through a WAL that was rewound as it was checkpointed (without checkpoints: > 4 MB).
    expect(reports.some((r) => r.ok && (r.checkpointed ?? 0) > 0)).toBe(true)
    expect(reports.every((r) => r.ok)).toBe(true)
    expect(statSync(`${path}-wal`).size).toBeLessThan(2_000_000)
    expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(2_000)
    db.close()
  })
})
