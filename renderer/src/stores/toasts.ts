/** Short notices in the corner: successes fade after 5 s, errors stay 10 s; at most three at a time. */
import { create } from 'zustand'

export interface Toast {
  id: number
  kind: 'info' | 'error' | 'success'
  text: string
}

interface ToastState {
  toasts: Toast[]
  push(kind: Toast['kind'], text: string): void
  dismiss(id: number): void
}

let next = 1
export const useToasts = create<ToastState>((set) => ({
  toasts: [],
  push(kind, text) {
    const id = next++
    set((s) => ({ toasts: [...s.toasts.slice(-2), { id, kind, text }] }))
    setTimeout(
      () => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
      kind === 'error' ? 10_000 : 4_000,
    )
  },
  dismiss: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
}))

export const toast = (kind: Toast['kind'], text: string): void => useToasts.getState().push(kind, text)
