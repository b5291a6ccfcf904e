/**
 * The font embedded in PDF invoices: DejaVu Sans (Latin, Greek, Cyrillic and more) from the dejavu-fonts-ttf
 * package. Found from the package in development and in `npm run` tools, and in the packaged app from the folder
 * electron-builder unpacks beside app.asar (asarUnpack) or copies to the resources folder (extraResources).
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, sep } from 'node:path'

export interface InvoiceFonts {
  regular: string
  bold: string
}

function candidates(file: string): string[] {
  const out: string[] = []
  try {
    const pkg = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')
    const p = join(pkg, '..', 'ttf', file)
    // Inside app.asar the unpacked copy is the one a native reader can open.
    out.push(p.replace(`app.asar${sep}`, `app.asar.unpacked${sep}`), p)
  } catch {
    // not resolvable from here: try the folders below
  }
  const resources = (process as { resourcesPath?: string }).resourcesPath
  if (resources) out.push(join(resources, 'fonts', file))
  out.push(join(process.cwd(), 'node_modules', 'dejavu-fonts-ttf', 'ttf', file))
  return out
}

let found: InvoiceFonts | undefined

export function invoiceFonts(): InvoiceFonts {
  if (found) return found
  const pick = (file: string): string => {
    const hit = candidates(file).find((p) => existsSync(p))
    if (!hit)
      throw new Error(
        `The invoice font ${file} (package dejavu-fonts-ttf) is missing; reinstall CaptchaDesk.`,
      )
    return hit
  }
  found = { regular: pick('DejaVuSans.ttf'), bold: pick('DejaVuSans-Bold.ttf') }
  return found
}
