/** Global setup of the integration project: tests that start a host process run it as built (test/support/built-app.ts). */
import { buildApp } from './built-app'

export default function setup(): void {
  buildApp()
}
