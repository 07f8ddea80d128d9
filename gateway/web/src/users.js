// The user directory (GET /api/v1/users: admins and managers only), loaded once per sign-in,
// so pages show names instead of ids and managers pick reps from a list.
// Reps cannot list users: names then fall back to "You" or a short id.
import { reactive } from 'vue'
import { api } from './api.js'
import { session } from './session.js'
import { t } from './i18n/index.js'

// As the gateway allows: managers, and executives, who share reports with people and teams.
const DIRECTORY_ROLES = ['admin', 'sales_manager', 'service_manager', 'executive']

export const directory = reactive({ users: [], loadedFor: null, loading: false })
let pending = null

export function mayListUsers(user = session.user) {
  return !!user && (user.roles || []).some((r) => DIRECTORY_ROLES.includes(r))
}

/** Load the users (once per signed-in user); resolves with the list ([] for reps). */
export function loadUsers({ force = false } = {}) {
  const me = session.user
  if (!mayListUsers(me)) return Promise.resolve([])
  if (!force && directory.loadedFor === me.id) return Promise.resolve(directory.users)
  if (!pending) {
    directory.loading = true
    pending = api.get('/users', undefined, { toast: false })
      .then((data) => {
        directory.users = data?.items || []
        directory.loadedFor = me.id
        return directory.users
      })
      .catch(() => directory.users)
      .finally(() => { pending = null; directory.loading = false })
  }
  return pending
}

export function userById(id) {
  return directory.users.find((u) => String(u.id) === String(id)) || null
}

/** A user's display name; "You" for the signed-in user; a short id when unknown; "—" for none. */
export function userName(id) {
  if (id === null || id === undefined || id === '') return '—'
  if (session.user && String(session.user.id) === String(id)) return t('users.you')
  const user = userById(id)
  if (user) return user.display_name || user.username
  return t('users.unknown', { id: String(id).slice(0, 8) })
}

/** Active users holding one of `roles` (all active users without roles), sorted by name. */
export function usersWithRoles(roles) {
  return directory.users
    .filter((u) => u.active !== false && (!roles || (u.roles || []).some((r) => roles.includes(r))))
    .sort((a, b) => (a.display_name || a.username).localeCompare(b.display_name || b.username))
}

/** The teams the users belong to, as [{id, name}], sorted by name. */
export function knownTeams() {
  const teams = new Map()
  for (const u of directory.users) for (const team of u.teams || []) teams.set(team.id, team)
  return [...teams.values()].sort((a, b) => a.name.localeCompare(b.name))
}
