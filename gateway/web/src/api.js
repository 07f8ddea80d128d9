// Tiny API client: a fetch wrapper for /api/v1.
//  - adds the bearer token;
//  - parses the error shape {code, status, message, errors} into an ApiError
//    and shows its message in a toast (unless {toast: false});
//  - on 401, clears the token and goes to the login page.
// Usage: const page = await api.get('/leads', { status: 'pool', limit: 50 })
//        const lead = await api.post('/leads', { company, ... })
//        const job = await api.upload('/leads/imports', formData)
import { getToken, notifyUnauthorized } from './auth.js'
import { toast } from './toast.js'
import { t } from './i18n/index.js'

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

async function readBody(res) {
  if (res.status === 204) return null
  const text = await res.text()
  if (!text) return null
  try {
    return JSON.parse(text)
  } catch {
    return { message: text.slice(0, 300) }
  }
}

/**
 * request(method, path, {query, body, toast: true, auth: true, signal})
 * Resolves with the parsed JSON body; rejects with ApiError.
 */
export async function request(method, path, { query, body, toast: showToast = true, auth = true, signal } = {}) {
  const headers = { Accept: 'application/json' }
  const token = auth ? getToken() : null
  if (token) headers.Authorization = `Bearer ${token}`
  // A FormData body (file uploads) is sent as multipart/form-data; the browser sets its boundary.
  const isForm = typeof FormData !== 'undefined' && body instanceof FormData
  if (body !== undefined && !isForm) headers['Content-Type'] = 'application/json'

  let res
  try {
    res = await fetch(buildUrl(path, query), {
      method,
      headers,
      body: body === undefined || isForm ? body : JSON.stringify(body),
      signal,
      cache: 'no-store',
    })
  } catch (err) {
    if (err?.name === 'AbortError') throw err
    const error = new ApiError({ code: 'network_error', status: 0, message: t('errors.network') })
    if (showToast) toast.error(error.message)
    throw error
  }

  const data = await readBody(res)
  if (res.ok) return data

  const error = new ApiError({
    code: data?.code,
    status: data?.status ?? res.status,
    message: data?.message || t('errors.unexpected', { status: res.status }),
    errors: data?.errors,
  })
  if (res.status === 401 && auth) {
    // Session expired or revoked: back to login (the login page explains why).
    notifyUnauthorized()
    throw error
  }
  if (showToast) toast.error(error.message)
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
