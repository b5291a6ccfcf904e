/**
 * The one composition path of the running app: the engine, its gateway controller and the typed handlers, created
 * once and in the same way for the Electron shell (electron/main) and the headless host (host/run-host.ts). What
 * differs between them is passed in: where an export goes (a folder dialog, or the data folder's exports/), and
 * each shell's own transport (IPC, HTTP). `npm run export` reads billing data without all this (billing-data.ts).
 */
import { createEngine, type Engine, type EngineOptions } from './engine'
import { createGatewayController, type GatewayController } from './gateway-controller'
import { createHandlers, type HandlerContext, type Handlers } from './handlers'

export interface ApplicationOptions extends EngineOptions {
  version: string
  exportTarget: HandlerContext['exportTarget']
}

export interface Application {
  readonly engine: Engine
  readonly gateway: GatewayController
  readonly handlers: Handlers
  /**
   * Quitting: the gateway drains (bounded) and stays switched on for the next start, then `alsoClose` (a shell's
   * own listener) runs, then the engine closes, each even when an earlier step failed.
   */
  close(alsoClose?: () => Promise<void>): Promise<void>
}

export async function openApplication(options: ApplicationOptions): Promise<Application> {
  const engine = await createEngine(options)
  let gateway: GatewayController
  let handlers: Handlers
  try {
    gateway = createGatewayController(engine)
    handlers = createHandlers({
      engine,
      gateway,
      version: options.version,
      exportTarget: options.exportTarget,
    })
  } catch (err) {
    await engine.close(0) // and its hold on the data folder: a caller may start again
    throw err
  }
  return {
    engine,
    gateway,
    handlers,
    async close(alsoClose) {
      try {
        await gateway.shutdown()
      } finally {
        try {
          await alsoClose?.()
        } finally {
          await engine.close(0)
        }
      }
    },
  }
}
