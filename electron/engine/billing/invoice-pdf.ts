/**
 * One PDF per invoice (pdfkit), with DejaVu Sans embedded so any tenant name prints as typed (Latin, Greek,
 * Cyrillic…; text is never neutralised here: a PDF is not a spreadsheet). Every amount is printed with
 * shared/money-display from the same invoice object the CSV summary is written from, with as many decimals as the
 * amount has (2 to 6), so each line and total reads back exactly as the CSV's. Written to a temp file, fsynced and
 * renamed into place: never a half-written PDF.
 */
import { once } from 'node:events'
import { createWriteStream, existsSync, renameSync, rmSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname } from 'node:path'
import { fsyncDir } from '../files/durable-write'
import PDFDocument from 'pdfkit'
import { formatMoneyDisplay } from '@shared/money-display'
import type { Invoice } from './invoice-builder'
import { taxLabel } from './invoice-export'
import { invoiceFonts } from './invoice-font'
import { REVERSE_CHARGE_NOTE } from './invoice-terms'

const A4 = { width: 595.28, height: 841.89 }
const M = 50
const COLS = { desc: M, qty: 315, unit: 385, amount: 465, end: A4.width - M }

/** The money text the PDF prints for an amount (exact: 2 to 6 decimals). */
function pdfMoney(micros: number, currency: string): string {
  return formatMoneyDisplay(micros, currency, { style: 'unit', locale: 'en-US' })
}

export async function writeInvoicePdf(invoice: Invoice, path: string): Promise<void> {
  const fonts = invoiceFonts()
  const title = invoice.number ? `Invoice ${invoice.number}` : `Draft invoice ${invoice.month}`
  const doc = new PDFDocument({
    size: 'A4',
    margin: M,
    font: fonts.regular,
    info: { Title: `${title} — ${invoice.tenantName}`, Author: invoice.seller.legalName || 'CaptchaDesk' },
  })
  doc.registerFont('regular', fonts.regular)
  doc.registerFont('bold', fonts.bold)
  const tmp = `${path}.${randomBytes(6).toString('hex')}.partial`
  const out = createWriteStream(tmp, { mode: 0o600, flush: true })
  doc.pipe(out)
  try {
    render(doc, invoice, title)
    doc.end()
    await once(out, 'close')
    renameSync(tmp, path)
    fsyncDir(dirname(path))
  } catch (err) {
    out.destroy()
    rmSync(tmp, { force: true })
    throw err
  }
}

function render(doc: PDFKit.PDFDocument, inv: Invoice, title: string): void {
  const money = (m: number) => pdfMoney(m, inv.currency)
  const width = COLS.end - M
  if (inv.seller.logoPath && /\.(png|jpe?g)$/i.test(inv.seller.logoPath) && existsSync(inv.seller.logoPath)) {
    try {
      doc.image(inv.seller.logoPath, M, M, { fit: [140, 50] })
      doc.y = M + 60
    } catch {
      // an unreadable logo never stops the invoice
    }
  }
  doc.font('bold').fontSize(18).text(title, M, doc.y, { width })
  if (inv.status === 'draft')
    doc.font('regular').fontSize(9).text('DRAFT — not final until locked', { width })
  doc.moveDown(0.5).font('regular').fontSize(10)
  doc.text(`Issue date: ${inv.issueDate}`)
  doc.text(`Due date: ${inv.dueDate}`)
  doc.text(
    `Period: ${inv.periodStartLocal.slice(0, 10)} to ${inv.periodEndLocal.slice(0, 10)} (${inv.timezone})`,
  )
  doc.text(`Currency: ${inv.currency}`)
  doc.moveDown()

  const top = doc.y
  const half = width / 2 - 10
  doc.font('bold').text('From', M, top, { width: half })
  doc.font('regular')
  for (const l of partyLines(
    inv.seller.legalName || 'CaptchaDesk operator',
    inv.seller.address,
    inv.seller.taxId,
  ))
    doc.text(l, { width: half })
  const leftEnd = doc.y
  const right = M + width / 2 + 10
  doc.font('bold').text('Bill to', right, top, { width: half })
  doc.font('regular')
  for (const l of partyLines(inv.buyer.legalName || inv.tenantName, inv.buyer.address, inv.buyer.taxId))
    doc.text(l, right, doc.y, { width: half })
  if (inv.buyer.legalName && inv.buyer.legalName !== inv.tenantName)
    doc.text(`Account: ${inv.tenantName}`, right, doc.y, { width: half })
  if (inv.buyer.email) doc.text(inv.buyer.email, right, doc.y, { width: half })
  doc.text(`Tenant id: ${inv.tenantId}`, right, doc.y, { width: half })
  doc.y = Math.max(leftEnd, doc.y) + 20

  const header = (): void => {
    doc.font('bold').fontSize(9)
    row(doc, 'Description', 'Quantity', 'Unit price', 'Amount')
    doc
      .moveTo(M, doc.y + 2)
      .lineTo(COLS.end, doc.y + 2)
      .stroke()
    doc.y += 6
    doc.font('regular')
  }
  header()
  for (const l of inv.lines) {
    if (doc.y > A4.height - M - 60) {
      doc.addPage()
      header()
    }
    row(
      doc,
      l.description,
      l.quantity.toLocaleString('en-US'),
      money(l.unitPriceMicros),
      money(l.amountMicros),
    )
  }
  if (inv.lines.length === 0) row(doc, 'No billed solves in this period', '', '', money(0))
  doc
    .moveTo(M, doc.y + 2)
    .lineTo(COLS.end, doc.y + 2)
    .stroke()
  doc.y += 8
  if (doc.y > A4.height - M - 140) doc.addPage()
  const total = (label: string, amount: number, bold = false): void => {
    doc.font(bold ? 'bold' : 'regular')
    row(doc, label, '', '', money(amount))
  }
  total('Net', inv.netMicros)
  if (inv.taxRateBps > 0 || inv.reverseCharge) total(taxLabel(inv), inv.taxMicros)
  total('Total due', inv.totalMicros, true)
  if (inv.credit) {
    total('Paid from prepaid credit', inv.credit.usedMicros)
    total('Prepaid credit left', inv.credit.leftMicros)
    total('Amount due', inv.amountDueMicros, true)
  }
  doc.font('regular').fontSize(9).moveDown()
  if (inv.reverseCharge) doc.text(REVERSE_CHARGE_NOTE, M, doc.y, { width })
  if (inv.seller.paymentInstructions) {
    doc.moveDown(0.5).font('bold').text('Payment', M, doc.y, { width })
    doc.font('regular').text(inv.seller.paymentInstructions, { width })
  }
}

function partyLines(name: string, address: string, taxId: string): string[] {
  return [name, ...address.split('\n').filter((l) => l.trim() !== ''), ...(taxId ? [`Tax id: ${taxId}`] : [])]
}

/** One table row; the description wraps, the numbers are right-aligned on its first line. */
function row(doc: PDFKit.PDFDocument, desc: string, qty: string, unit: string, amount: string): void {
  const y = doc.y
  doc.text(desc, COLS.desc, y, { width: COLS.qty - COLS.desc - 10 })
  const after = doc.y
  doc.text(qty, COLS.qty, y, { width: COLS.unit - COLS.qty - 10, align: 'right' })
  doc.text(unit, COLS.unit, y, { width: COLS.amount - COLS.unit - 10, align: 'right' })
  doc.text(amount, COLS.amount, y, { width: COLS.end - COLS.amount, align: 'right' })
  doc.x = M
  doc.y = Math.max(after, doc.y) + 3
}
