// Native dialogs. An export writes several CSV files (summary + detail per tenant), so the operator picks a folder.
// A failed start is said in a box: launched from the desktop, the app has no console anyone reads.
import { dialog, type BrowserWindow } from 'electron'

export async function chooseExportFolder(
  win: BrowserWindow | undefined,
  suggestedName: string,
): Promise<{ dir: string } | null> {
  const options: Electron.OpenDialogOptions = {
    title: `Export ${suggestedName}: choose a folder`,
    buttonLabel: 'Export here',
    properties: ['openDirectory', 'createDirectory'],
  }
  const r =
    win && !win.isDestroyed()
      ? await dialog.showOpenDialog(win, options)
      : await dialog.showOpenDialog(options)
  return r.canceled || !r.filePaths[0] ? null : { dir: r.filePaths[0] }
}

/** Why the app could not start (e.g. another engine holds its data folder), before it quits. Never a secret. */
export function showStartupFailure(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err)
  console.error('CaptchaDesk could not start:', message)
  dialog.showErrorBox('CaptchaDesk could not start', message)
}
