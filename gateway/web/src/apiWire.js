// What api.js puts on the wire and reads back, kept free of the browser's session, toasts and i18n so node's
// test runner can check it: the fetch options of a call (token, JSON or multipart body, If-Match) and the
// reading of a response body.

/**
 * The If-Match value for a resource read at `version`: a version number is sent as the ETag the server gives
 * it (the number in quotes); an ETag as read from a response (`"7"`, `W/"7"`) is sent back unchanged.
 */
export function ifMatchValue(version) {
  const text = String(version).trim()
  if (text.startsWith('"') || text.startsWith('W/"')) return text
  return `"${Number(text)}"`
}

/** The options fetch() gets for `method` with `body` (JSON, or a FormData sent as multipart) and If-Match. */
export function fetchOptions(method, { body, ifMatch, token, signal } = {}) {
  const headers = { Accept: 'application/json' }
  if (token) headers.Authorization = `Bearer ${token}`
  if (ifMatch !== undefined && ifMatch !== null) headers['If-Match'] = ifMatchValue(ifMatch)
  // A FormData body is sent as multipart/form-data; the browser writes its Content-Type with the boundary.
  const isForm = typeof FormData !== 'undefined' && body instanceof FormData
  if (body !== undefined && !isForm) headers['Content-Type'] = 'application/json'
  return {
    method,
    headers,
    body: body === undefined || isForm ? body : JSON.stringify(body),
    signal,
    cache: 'no-store',
  }
}

/** The parsed JSON body of a response (null when empty); text that is not JSON becomes {message}. */
export async function readBody(res) {
  if (res.status === 204) return null
  const text = await res.text()
  if (!text) return null
  try {
    return JSON.parse(text)
  } catch {
    return { message: text.slice(0, 300) }
  }
}
