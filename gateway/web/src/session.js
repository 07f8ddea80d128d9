// The signed-in user: login, /me, logout and the per-user language.
import { reactive } from 'vue'
import { api } from './api.js'
import { clearToken, getToken, setToken } from './auth.js'
import { applyLocale, normalizeLocale, t } from './i18n/index.js'
import { live } from './live.js'
import { toast } from './toast.js'

export const session = reactive({
  user: null, // {id, username, display_name, roles, teams, locale}
})

export function hasAnyRole(user, roles) {
  if (!roles || roles.length === 0) return true
  return !!user && (user.roles || []).some((r) => roles.includes(r))
}

let mePromise = null

/** The current user, loading /me once per sign-in. Null when not signed in. */
export async function ensureUser() {
  if (!getToken()) return null
  if (session.user) return session.user
  if (!mePromise) {
    mePromise = api.get('/me')
      .then((me) => {
        session.user = me
        const locale = normalizeLocale(me.locale)
        if (locale) applyLocale(locale)
        live.start()
        return me
      })
      .catch(() => null)
      .finally(() => { mePromise = null })
  }
  return mePromise
}

export async function login(username, password) {
  const res = await api.post('/auth/login', { username, password }, { auth: false, toast: false })
  live.reset()
  session.user = null
  setToken(res.access_token, res.expires_in)
  const me = await ensureUser()
  if (!me) throw new Error('could not load the signed-in user')
  return me
}

export function logout() {
  live.reset()
  clearToken()
  session.user = null
}

/** Called when the server answers 401: forget the user (the router then shows the login page). */
export function forgetUser() {
  live.reset()
  session.user = null
}

/** Switch language; when signed in, save it to the user's profile (PATCH /me). */
export async function changeLocale(locale) {
  const code = applyLocale(locale)
  if (!session.user || session.user.locale === code) return
  try {
    const me = await api.patch('/me', { locale: code }, { toast: false })
    session.user = { ...session.user, ...(me && typeof me === 'object' ? me : {}), locale: code }
  } catch {
    toast.error(t('errors.localeNotSaved'))
  }
}
