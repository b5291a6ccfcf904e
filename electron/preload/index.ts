// Sandboxed preload: exposes a narrow, typed window.api built from the IPC contract.
import { contextBridge } from 'electron'

contextBridge.exposeInMainWorld('api', { version: '0.1.0' })
