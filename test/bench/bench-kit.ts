/**
 * What every bench module gets from the runner: whether to run small (`--quick`) and a place to record each figure
 * as {bench, metric, value, unit, goal, met}, so figures can be compared across commits (`--json FILE`).
 *
 * A bench module exports `run(ctx: BenchContext): Promise<void>`. It prints its own tables beside its baseline and
 * records the figures that matter; a figure with a goal says whether the goal was met. A bench that throws fails
 * the run (the runner goes on with the next bench and exits non-zero at the end).
 */

/** An upper or lower bound on a figure; `strict` makes it < or > rather than ≤ or ≥. */
export type Goal = { max: number; strict?: boolean } | { min: number; strict?: boolean }

export interface Figure {
  bench: string
  metric: string
  value: number
  unit: string
  /** The goal as text (e.g. "<= 3"), or null when the figure is informational (a baseline). */
  goal: string | null
  /** Whether the goal was met; null when there is no goal. */
  met: boolean | null
}

export interface BenchContext {
  /** Small sizes, for `npm test`: every bench well under 3 minutes together. Goals are reported, not enforced. */
  readonly quick: boolean
  record(metric: string, value: number, unit: string, goal?: Goal): Figure
  readonly figures: readonly Figure[]
}

/** The middle value (the upper middle for an even count): what a bench reports from repeated measurements. */
export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export function goalText(goal: Goal): string {
  if ('max' in goal) return `${goal.strict ? '<' : '<='} ${goal.max}`
  return `${goal.strict ? '>' : '>='} ${goal.min}`
}

export function goalMet(goal: Goal, value: number): boolean {
  if (!Number.isFinite(value)) return false
  if ('max' in goal) return goal.strict ? value < goal.max : value <= goal.max
  return goal.strict ? value > goal.min : value >= goal.min
}

export function createBenchContext(bench: string, quick: boolean): BenchContext {
  const figures: Figure[] = []
  return {
    quick,
    figures,
    record(metric, value, unit, goal) {
      if (typeof value !== 'number' || Number.isNaN(value))
        throw new Error(`bench ${bench}: figure "${metric}" is not a number (${String(value)})`)
      const f: Figure = {
        bench,
        metric,
        value: Number.isFinite(value) ? Math.round(value * 1e6) / 1e6 : value,
        unit,
        goal: goal ? goalText(goal) : null,
        met: goal ? goalMet(goal, value) : null,
      }
      figures.push(f)
      return f
    },
  }
}

/** For running one bench file directly (`npx tsx test/bench/x.bench.ts [--quick]`). */
export function standaloneContext(bench: string): BenchContext {
  return createBenchContext(bench, process.argv.includes('--quick'))
}

/** Throws when a bench produced something that cannot be a real measurement (zero solves, no rows…). */
export function assertBench(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`bench check failed: ${message}`)
}
