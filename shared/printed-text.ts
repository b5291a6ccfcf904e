/** Text typed for printing on invoices (seller, buyer): trimmed, bounded, no control characters but line breaks. */
import { z } from 'zod'

export const printedText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `at most ${max} characters`)
    .refine(
      (v) => ![...v].some((c) => (c.charCodeAt(0) < 32 && c !== '\n') || c.charCodeAt(0) === 127),
      'no control characters',
    )
