// Tiny API client: a fetch wrapper for /api/v1.
//  - adds the bearer token;
//  - sends If-Match for versioned writes ({ifMatch: version}) and can hand back the ETag ({withEtag: true});
//  - parses the error shape {code, status, message, errors} into an ApiError
//    and shows its message in a toast (unless {toast: false});
//  - a 412 (someone changed the resource since the page read it) gets one message of our own, never a toast:
//    the page says what it means there (reload, notice) and STALE lets it recognise one;
//  - on 401, clears the token and goes to the login page.
// Usage: const page = await api.get('/leads', { status: 'pool', limit: 50 })
//        const lead = await api.post('/leads', { company, ... })
//        const saved = await api.patch(`/opportunities/${deal.id}`, changes, { ifMatch: deal.version })
//        const { data, etag } = await api.get(`/payment-plans/${id}`, undefined, { withEtag: true })
//        const job = await api.upload('/leads/imports', formData)
import { getToken, notifyUnauthorized } from './auth.js'
import { toast } from './toast.js'
import { t } from './i18n/index.js'
import { fetchOptions, readBody } from './apiWire.js'

export const API_BASE = '/api/v1'

export class ApiError extends Error {
  constructor({ code, status, message, errors }) {
    super(message || code || `HTTP ${status}`)
    this.name = 'ApiError'
    this.code = code || 'error'
    this.status = status ?? 0
    this.errors = errors && typeof errors === 'object' ? errors : {}
  }
}

export function buildUrl(path, query) {
  const url = new URL(API_BASE + path, window.location.origin)
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v))
  }
  return url.pathname + url.search
}

/** The status of a write refused because the resource changed since the page read it (If-Match). */
export const STALE = 412

/**
 * request(method, path, {query, body, ifMatch, withEtag: false, toast: true, auth: true, signal})
 * `body` is JSON, or a FormData sent as multipart; `ifMatch` is the version the page read (or an ETag as read).
 * Resolves with the parsed JSON body, or {data, etag} with `withEtag`; rejects with ApiError.
 */
export async function request(method, path, {
  query, body, ifMatch, withEtag = false, toast: showToast = true, auth = true, signal,
} = {}) {
  const token = auth ? getToken() : null
  let res
  try {
    res = await fetch(buildUrl(path, query), fetchOptions(method, { body, ifMatch, token, signal }))
  } catch (err) {
    if (err?.name === 'AbortError') throw err
    const error = new ApiError({ code: 'network_error', status: 0, message: t('errors.network') })
    if (showToast) toast.error(error.message)
    throw error
  }

  const data = await readBody(res)
  if (res.ok) return withEtag ? { data, etag: res.headers.get('ETag') } : data

  const error = new ApiError({
    code: data?.code,
    status: data?.status ?? res.status,
    // The server's 412 text speaks of headers; the user needs to know to look again.
    message: res.status === STALE ? t('errors.stale') : data?.message || t('errors.unexpected', { status: res.status }),
    errors: data?.errors,
  })
  if (res.status === 401 && auth) {
    // Session expired or revoked: back to login (the login page explains why).
    notifyUnauthorized()
    throw error
  }
  if (showToast && res.status !== STALE) toast.error(error.message)
  throw error
}

export const api = {
  get: (path, query, opts) => request('GET', path, { ...opts, query }),
  post: (path, body, opts) => request('POST', path, { ...opts, body: body ?? {} }),
  patch: (path, body, opts) => request('PATCH', path, { ...opts, body: body ?? {} }),
  put: (path, body, opts) => request('PUT', path, { ...opts, body: body ?? {} }),
  delete: (path, opts) => request('DELETE', path, opts),
  /** POST a FormData (multipart/form-data: files and form fields). */
  upload: (path, form, opts) => request('POST', path, { ...opts, body: form }),
}

/** Field errors of an ApiError as {field: "first message"} for forms. */
export function fieldErrors(error) {
  const out = {}
  for (const [field, messages] of Object.entries(error?.errors || {})) {
    out[field] = Array.isArray(messages) ? messages.join(' ') : String(messages)
  }
  return out
}
