/** A tiny hash router: #/<screen>[/<param>]. No dependency; the back button works. */
import { useEffect, useState } from 'react'

export interface Route {
  id: string
  param: string | null
}

function parseHash(hash: string): Route {
  const [id, ...rest] = hash.replace(/^#\/?/, '').split('/')
  return { id: id || 'dashboard', param: rest.length ? decodeURIComponent(rest.join('/')) : null }
}

export function navigate(id: string, param?: string | null): void {
  window.location.hash = `#/${id}${param ? `/${param.split('/').map(encodeURIComponent).join('/')}` : ''}`
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash))
  useEffect(() => {
    const on = () => {
      setRoute(parseHash(window.location.hash))
      window.scrollTo(0, 0)
    }
    window.addEventListener('hashchange', on)
    return () => window.removeEventListener('hashchange', on)
  }, [])
  return route
}

/** What every screen gets from the route. */
export interface ScreenProps {
  /** The rest of the route after the screen's id, e.g. "new" in #/tenants/new. */
  param: string | null
}
