import fc from 'fast-check'
import Papa from 'papaparse'
import { describe, expect, it } from 'vitest'
import { csvField } from '../../../electron/engine/billing/csv'

describe('csvField (the detail export’s fast encoder)', () => {
  it('encodes every string exactly as papaparse’s unparse does', () => {
    const tricky = fc.constantFrom(',', '"', '\r', '\n', ' ', '\uFEFF', "'", '=', 'a', '1', '-', 'é')
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(tricky).map((a) => a.join('')),
        ),
        (s) => {
          expect(csvField(s)).toBe(Papa.unparse([[s]], { newline: '\r\n' }))
        },
      ),
      { numRuns: 2_000 },
    )
  })
})
