/**
 * Child process for the ledger crash test: many concurrent attempts, each step awaited (begin, markSubmitted,
 * settle); after a step's promise resolves it prints "ack <attempt> <step>" (stdout to a pipe is synchronous on
 * Linux, so a printed ack happened before any kill). Runs until the parent SIGKILLs it.
 */
import { openDatabase } from '../../../electron/engine/db/database'
import { openSqliteLedger } from '../../../electron/engine/ledger/sqlite-ledger'

const path = process.env.DB_PATH
if (!path) throw new Error('ack-child needs DB_PATH')
const ledger = openSqliteLedger(openDatabase(path))
const CONCURRENCY = 64
const LIMIT = 200_000 // bounded: the parent kills long before this
let next = 0

async function worker(): Promise<void> {
  while (next < LIMIT) {
    const i = next++
    const id = `a${i}`
    await ledger.begin({
      attemptId: id,
      tenantId: `t${i % 7}`,
      captchaType: 'turnstile',
      providerAccount: 'captchaai:fp',
      source: 'gateway',
      createdAt: 1_000 + i,
      reservedMicros: 2_000,
    })
    process.stdout.write(`ack ${id} begin\n`)
    await ledger.markSubmitted(id, `task-${i}`, 1_001 + i)
    process.stdout.write(`ack ${id} submitted\n`)
    const outcome =
      i % 5 === 0
        ? {
            status: 'failed' as const,
            errorCode: 'ERROR_CAPTCHA_UNSOLVABLE',
            endedAt: 2_000 + i,
            threadMs: 7,
          }
        : {
            status: 'solved' as const,
            readyAt: 2_000 + i,
            endedAt: 2_000 + i,
            threadMs: 9,
            costMicros: 2_000,
            priceMicros: 3_000,
          }
    await ledger.settle(id, outcome)
    process.stdout.write(`ack ${id} settled\n`)
  }
}

await Promise.all(Array.from({ length: CONCURRENCY }, worker))
