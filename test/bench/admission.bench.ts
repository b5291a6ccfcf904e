/**
 * Admission decisions per second (reserve + release, all limits on) for 1 and 100 tenants, beside the seed's
 * dict counters with a fixed window (which also never resets its daily count), in the same run.
 */
import type { Tenant } from '@shared/tenant'
import { createAdmissionController } from '../../electron/engine/admission'

const N = 300_000

function tenant(i: number): Tenant {
  return {
    id: `t${i}`,
    name: `t${i}`,
    status: 'active',
    keyMode: 'shared',
    limits: {
      requestsPerMinute: 100_000,
      solvesPerDay: 10_000_000,
      maxConcurrent: 10_000,
      monthlyBudgetMicros: 1e12,
    },
    pricePlan: { kind: 'markup', markupBps: 0 },
    timezone: i % 2 ? 'Europe/Berlin' : 'America/New_York',
    alertThresholds: { percents: [80] },
    shareWeight: 1,
    notes: '',
    createdAt: '',
    updatedAt: '',
  }
}

function ours(tenants: number): number {
  const ctl = createAdmissionController({ sharedThreads: 100_000 })
  const ts = Array.from({ length: tenants }, (_, i) => tenant(i))
  let now = Date.UTC(2026, 10, 24)
  const t0 = performance.now()
  for (let i = 0; i < N; i++) {
    now += 1
    const r = ctl.reserve({ tenant: ts[i % tenants]!, captchaType: 'image', estimateMicros: 1_000, now })
    if (r.ok) ctl.release(r.reservation, { solved: true, priceMicros: 1_000, now })
  }
  return N / ((performance.now() - t0) / 1000)
}

function seed(tenants: number): number {
  const usage = new Map<string, { solves: number; cost: number }>()
  const limits = new Map<
    string,
    { daily: number; rate: number; minuteCounter: number; minuteStart: number }
  >()
  for (let i = 0; i < tenants; i++)
    limits.set(`t${i}`, { daily: 1e12, rate: 1e12, minuteCounter: 0, minuteStart: 0 })
  let now = 0
  const t0 = performance.now()
  for (let i = 0; i < N; i++) {
    now += 1
    const id = `t${i % tenants}`
    const l = limits.get(id)!
    const u = usage.get(id) ?? { solves: 0, cost: 0 }
    if (u.solves >= l.daily) continue
    if (now - l.minuteStart > 60_000) {
      l.minuteCounter = 0
      l.minuteStart = now
    }
    if (l.minuteCounter >= l.rate) continue
    l.minuteCounter++
    u.solves++
    u.cost += 0.001
    usage.set(id, u)
  }
  return N / ((performance.now() - t0) / 1000)
}

export async function run(): Promise<void> {
  const rows = []
  for (const n of [1, 100]) {
    const s = seed(n)
    const o = ours(n)
    rows.push({
      tenants: n,
      'seed dict counters /s': Math.round(s),
      'CaptchaDesk reserve+release /s': Math.round(o),
      'ratio (ours/seed)': `${(o / s).toFixed(2)}×`,
    })
  }
  console.table(rows)
  console.log(
    'The seed checks only a fixed-window rate and a daily count that never resets; ours checks rate (GCRA), local-day count, concurrency, budget and fair share.',
  )
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
