// Native dialogs. An export writes several CSV files (summary + detail per tenant), so the operator picks a folder.
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
