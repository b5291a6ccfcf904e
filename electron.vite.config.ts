import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'

const root = import.meta.dirname
const alias = { '@shared': resolve(root, 'shared') }

export default defineConfig({
  main: {
    resolve: { alias },
    build: {
      // conf / electron-store are ESM-only; bundle them so the main bundle has no ESM/CJS surprises.
      externalizeDeps: { exclude: ['electron-store', 'conf'] },
      // The headless host is built with it: `npm run serve` runs out/main/serve.js under plain Node, with no
      // TypeScript loader in a process that is left running (tsx names every function it compiles: measured at 1,000
      // solves/s, about a third of each in-flight task's memory, and young-generation GC pauses 12–14 ms against 17–18).
      rollupOptions: {
        input: {
          index: resolve(root, 'electron/main/index.ts'),
          serve: resolve(root, 'electron/cli/serve.ts'),
        },
      },
    },
  },
  preload: {
    resolve: { alias },
    build: {
      // A sandboxed preload can only require a few polyfilled modules: bundle everything into one CJS file.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(root, 'electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    resolve: { alias },
    plugins: [react()],
    build: { rollupOptions: { input: { index: resolve(root, 'renderer/index.html') } } },
  },
})
