// The bearer token, kept in sessionStorage: per browser tab, so two tabs can be two users.
const TOKEN_KEY = 'crm.token'
const EXPIRES_KEY = 'crm.token.expires_at'

let unauthorizedHandler = () => {}

export function getToken() {
  try {
    const token = sessionStorage.getItem(TOKEN_KEY)
    const expiresAt = Number(sessionStorage.getItem(EXPIRES_KEY) || 0)
    if (!token) return null
    if (expiresAt && Date.now() > expiresAt) {
      clearToken()
      return null
    }
    return token
  } catch {
    return null
  }
}

export function setToken(accessToken, expiresInSeconds) {
  sessionStorage.setItem(TOKEN_KEY, accessToken)
  if (expiresInSeconds) sessionStorage.setItem(EXPIRES_KEY, String(Date.now() + Number(expiresInSeconds) * 1000))
  else sessionStorage.removeItem(EXPIRES_KEY)
}

export function clearToken() {
  try {
    sessionStorage.removeItem(TOKEN_KEY)
    sessionStorage.removeItem(EXPIRES_KEY)
  } catch { /* ignore */ }
}

/** Called (by main.js) with what to do when the server says 401: go to the login page. */
export function setUnauthorizedHandler(fn) {
  unauthorizedHandler = fn
}

export function notifyUnauthorized() {
  clearToken()
  unauthorizedHandler()
}
