// Lint rules, including the process boundaries: where a file lives says where it runs.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'

const nodeBuiltins = [
  'node:*',
  'fs',
  'path',
  'crypto',
  'http',
  'https',
  'os',
  'child_process',
  'net',
  'url',
  'util',
]

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // shared/: pure TypeScript for both sides. No electron, no Node built-ins, no React.
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['electron', 'electron/*'], message: 'shared/ runs on both sides: no electron.' },
            { group: nodeBuiltins, message: 'shared/ runs on both sides: no Node built-ins.' },
            { group: ['react', 'react-dom', 'react/*', 'zustand'], message: 'shared/ has no UI code.' },
            { group: ['**/electron/**', '**/renderer/**'], message: 'shared/ imports only shared/.' },
          ],
        },
      ],
    },
  },
  {
    // The engine and the plain-Node entry points run without Electron (tests, benchmarks, headless host).
    files: ['electron/engine/**/*.ts', 'electron/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', 'electron/*'],
              message: 'The engine runs in plain Node: no electron import.',
            },
            {
              group: ['**/electron/main/**', '**/main/**', '**/preload/**'],
              message: 'The engine does not reach into the Electron shell.',
            },
            { group: ['**/renderer/**', 'react', 'react-dom'], message: 'The engine has no UI code.' },
          ],
        },
      ],
    },
  },
  {
    // The preload is sandboxed: only electron's renderer-side modules and shared/.
    files: ['electron/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'A sandboxed preload has no Node built-ins.' },
            {
              group: ['**/engine/**', '**/main/**'],
              message: 'The preload talks to main only over the IPC contract.',
            },
          ],
        },
      ],
    },
  },
  {
    // The renderer talks to main only through window.api (or the HTTP bridge), never Node or Electron.
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // Loading data when a screen mounts is an effect that sets state once it arrives; that is what effects are for.
      'react-hooks/set-state-in-effect': 'off',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['electron', 'electron/*'], message: 'The renderer uses window.api, never electron.' },
            { group: nodeBuiltins, message: 'The renderer has no Node built-ins.' },
            {
              group: ['**/electron/**'],
              message: 'The renderer reaches main only through the IPC contract.',
            },
          ],
        },
      ],
    },
  },
)
