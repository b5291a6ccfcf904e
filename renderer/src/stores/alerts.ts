/** Active alerts (daily limit, monthly budget, low balance), kept current by the engine's events. */
import { create } from 'zustand'
import { call, messageOf } from '../api/client'
import { onEvent, type Alert } from '../api/events'
import { toast } from './toasts'

interface AlertsState {
  active: Alert[]
  error: string | null
  load(): Promise<void>
}

export const useAlerts = create<AlertsState>((set) => ({
  active: [],
  error: null,
  async load() {
    try {
      set({ active: await call('alerts.list', { activeOnly: true }), error: null })
    } catch (err) {
      set({ error: messageOf(err) })
    }
  },
}))

export function connectAlerts(): () => void {
  const offRaised = onEvent('alert.raised', (a) => {
    useAlerts.setState((s) => ({ active: [a, ...s.active.filter((x) => x.id !== a.id)] }))
    toast('info', `Alert: ${a.message}`)
  })
  const offResolved = onEvent('alert.resolved', (a) =>
    useAlerts.setState((s) => ({ active: s.active.filter((x) => x.id !== a.id) })),
  )
  return () => {
    offRaised()
    offResolved()
  }
}
