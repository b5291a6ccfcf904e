/** The protocol's pingback: the client's URL called with the task's id and its answer (or error code). */

/** The pingback URL with `id` and `code` set, or undefined when the client's pingback is not a URL. */
export function pingbackUrl(pingback: string, id: string, code: string): URL | undefined {
  let url: URL
  try {
    url = new URL(pingback)
  } catch {
    return undefined
  }
  url.searchParams.set('id', id)
  url.searchParams.set('code', code)
  return url
}
