// The service desk's agents and groups (GET /agents, /agent-groups: agents and service managers may read them),
// loaded once per sign-in so ticket pages show names, and assignee/group pickers have their options.
import { reactive } from 'vue'
import { api } from './api.js'
import { session } from './session.js'
import { t } from './i18n/index.js'

export const desk = reactive({ agents: [], groups: [], loadedFor: null })
let pending = null

/** Load agents and groups (once per signed-in user unless forced); never throws. */
export function loadDesk({ force = false } = {}) {
  const me = session.user
  if (!me) return Promise.resolve(desk)
  if (!force && desk.loadedFor === me.id) return Promise.resolve(desk)
  if (!pending) {
    const quiet = { toast: false }
    pending = Promise.all([
      api.get('/agents', undefined, quiet).then((d) => d?.items || []).catch(() => []),
      api.get('/agent-groups', undefined, quiet).then((d) => d?.items || []).catch(() => []),
    ]).then(([agents, groups]) => {
      desk.agents = agents
      desk.groups = groups
      desk.loadedFor = me.id
      return desk
    }).finally(() => { pending = null })
  }
  return pending
}

/** An agent's name ("You" for the signed-in user, a short id when unknown, "—" for nobody). */
export function agentName(id) {
  if (id === null || id === undefined || id === '') return '—'
  if (session.user && String(session.user.id) === String(id)) return t('users.you')
  const agent = desk.agents.find((a) => String(a.user_id) === String(id))
  return agent?.display_name || t('users.unknown', { id: String(id).slice(0, 8) })
}

export function groupName(id) {
  if (id === null || id === undefined || id === '') return '—'
  return desk.groups.find((g) => String(g.id) === String(id))?.name || String(id).slice(0, 8)
}

/** The groups the signed-in user belongs to (for the "my group" queue). */
export function myGroupIds() {
  const me = session.user?.id
  return desk.groups.filter((g) => (g.member_ids || []).some((id) => String(id) === String(me))).map((g) => g.id)
}
