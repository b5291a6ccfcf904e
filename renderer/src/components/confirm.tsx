/**
 * One confirmation dialog for the whole console (a native modal <dialog>: focus moves into it, Tab stays inside,
 * Escape cancels), and focus goes back to where it was when it closes. Use: `if (await confirm({...})) …`.
 */
import { useEffect, useRef, type ButtonHTMLAttributes } from 'react'
import { create } from 'zustand'

export interface ConfirmRequest {
  title: string
  body: string
  confirmLabel: string
  danger?: boolean
}

interface ConfirmState {
  request: (ConfirmRequest & { resolve(ok: boolean): void }) | null
}

const useConfirmStore = create<ConfirmState>(() => ({ request: null }))

export function confirm(request: ConfirmRequest): Promise<boolean> {
  return new Promise((resolve) => {
    useConfirmStore.getState().request?.resolve(false)
    useConfirmStore.setState({ request: { ...request, resolve } })
  })
}

/** A button that asks first (`ask`) and runs `onConfirmed` only when the operator agrees. */
export function ConfirmButton({
  ask,
  onConfirmed,
  ...button
}: Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'onClick'> & {
  ask: ConfirmRequest
  onConfirmed(): unknown
}) {
  return (
    <button
      {...button}
      onClick={async () => {
        if (await confirm(ask)) await onConfirmed()
      }}
    />
  )
}

function settle(ok: boolean): void {
  const r = useConfirmStore.getState().request
  if (!r) return
  useConfirmStore.setState({ request: null })
  r.resolve(ok)
}

export function ConfirmHost() {
  const request = useConfirmStore((s) => s.request)
  const ref = useRef<HTMLDialogElement>(null)
  const cancelRef = useRef<HTMLButtonElement>(null)
  const returnTo = useRef<Element | null>(null)
  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    if (request && !dialog.open) {
      returnTo.current = document.activeElement
      dialog.showModal()
      cancelRef.current?.focus()
    } else if (!request && dialog.open) {
      dialog.close()
    }
    if (!request && returnTo.current instanceof HTMLElement) {
      const el = returnTo.current
      returnTo.current = null
      if (el.isConnected) el.focus()
      else document.getElementById('screen-title')?.focus()
    }
  }, [request])
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-body"
      onCancel={(e) => {
        e.preventDefault()
        settle(false)
      }}
    >
      {request ? (
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault()
            settle(true)
          }}
        >
          <h2 id="confirm-title">{request.title}</h2>
          <p id="confirm-body">{request.body}</p>
          <div className="actions end">
            <button type="button" ref={cancelRef} onClick={() => settle(false)}>
              Cancel
            </button>
            <button type="submit" className={request.danger ? 'danger solid' : 'primary'}>
              {request.confirmLabel}
            </button>
          </div>
        </form>
      ) : null}
    </dialog>
  )
}
