/** A button that copies a text and says so (announced to screen readers); falls back to a hidden textarea. */
import { useState } from 'react'

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text)
    return true
  } catch {
    const area = document.createElement('textarea')
    area.value = text
    area.setAttribute('readonly', '')
    area.style.position = 'fixed'
    area.style.opacity = '0'
    document.body.append(area)
    area.select()
    const ok = document.execCommand('copy')
    area.remove()
    return ok
  }
}

export function CopyButton({ text, label, what }: { text: string; label: string; what: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle')
  return (
    <>
      <button
        type="button"
        onClick={async () => {
          setState((await copyText(text)) ? 'copied' : 'failed')
          setTimeout(() => setState('idle'), 2500)
        }}
      >
        {state === 'copied' ? 'Copied' : label}
      </button>
      <span className="sr-only" role="status">
        {state === 'copied' ? `${what} copied` : state === 'failed' ? `Could not copy the ${what}` : ''}
      </span>
    </>
  )
}
