/** Where the engine keeps its files inside a data folder (Electron: app.getPath('userData'); headless: --data-dir). */
import { join, resolve } from 'node:path'

export interface DataPaths {
  dir: string
  database: string
  vault: string
  exports: string
}

export function dataPaths(dir: string): DataPaths {
  const d = resolve(dir)
  return { dir: d, database: join(d, 'engine.db'), vault: join(d, 'vault.json'), exports: join(d, 'exports') }
}

/** The headless host's demo folder when no --data-dir is given. */
export const DEFAULT_DEMO_DIR = '.demo-data'
