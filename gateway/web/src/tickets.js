// Pure helpers of the service desk pages: SLA countdowns and their tone, queue views and their query, thread
// filtering, allowed status moves, reading a JSON document typed by a manager, return-visit views, and SLA
// escalation levels in the policy editor. No Vue, no fetch: tested with node.

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** Milliseconds between now and an ISO instant (negative once it has passed), or null without one. */
export function msUntil(deadline, now = Date.now()) {
  if (!deadline) return null
  const at = new Date(deadline).getTime()
  return Number.isNaN(at) ? null : at - now
}

/**
 * A countdown as text: "2d 3h", "3h 05m", "12m 30s", "45s"; a passed deadline gets a leading minus
 * ("-1h 05m"). The two largest units only: an agent reads it at a glance.
 */
export function formatCountdown(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—'
  const sign = ms < 0 ? '-' : ''
  let rest = Math.floor(Math.abs(ms) / 1000)
  const days = Math.floor(rest / 86400); rest -= days * 86400
  const hours = Math.floor(rest / 3600); rest -= hours * 3600
  const minutes = Math.floor(rest / 60)
  const seconds = rest - minutes * 60
  const pad = (n) => String(n).padStart(2, '0')
  if (days > 0) return `${sign}${days}d ${hours}h`
  if (hours > 0) return `${sign}${hours}h ${pad(minutes)}m`
  if (minutes > 0) return `${sign}${minutes}m ${pad(seconds)}s`
  return `${sign}${seconds}s`
}

// A metric the server reports as settled keeps its state whatever the clock says.
const SETTLED = new Set(['met', 'paused', 'not_applicable', 'cancelled'])

/**
 * The tone of one SLA metric at `now`: 'met', 'paused', 'breached', 'warning' or 'ok' (none: no metric).
 * The server's state is the truth when it was read; between reads the browser moves a running metric on
 * to warning at `warning_at` (or the policy's share of the target) and to breached at its deadline.
 */
export function metricTone(metric, now = Date.now()) {
  if (!metric) return 'none'
  const state = metric.state || 'running'
  if (SETTLED.has(state)) return state === 'met' || state === 'paused' ? state : 'none'
  if (state === 'breached') return 'breached'
  const left = msUntil(metric.deadline || metric.due_at, now)
  if (left !== null && left <= 0) return 'breached'
  if (state === 'warning') return 'warning'
  const warnLeft = msUntil(metric.warning_at, now)
  if (warnLeft !== null && warnLeft <= 0) return 'warning'
  return 'ok'
}

/** The metrics of a ticket's `sla` object as a list [{name, ...metric}], whether it is keyed or a list. */
export function slaMetrics(sla) {
  if (!sla) return []
  const source = Array.isArray(sla) ? sla : Array.isArray(sla.metrics) ? sla.metrics : sla.metrics || sla
  if (Array.isArray(source)) return source.filter(Boolean).map((m) => ({ ...m, name: m.name || m.metric }))
  return Object.entries(source)
    .filter(([, m]) => m && typeof m === 'object' && !Array.isArray(m) && ('deadline' in m || 'state' in m || 'due_at' in m))
    .map(([name, m]) => ({ ...m, name }))
}

/** The metric whose clock matters most now: the running one with the nearest deadline (null if none runs). */
export function nearestMetric(sla) {
  let best = null
  for (const m of slaMetrics(sla)) {
    const state = m.state || 'running'
    if (SETTLED.has(state)) continue
    const at = new Date(m.deadline || m.due_at || '').getTime()
    if (Number.isNaN(at)) continue
    if (!best || at < best.at) best = { metric: m, at }
  }
  return best ? best.metric : null
}

/** Tickets ordered by their nearest running SLA deadline; those without one last, newest first among them. */
export function sortByDeadline(tickets) {
  const key = (tk) => {
    const m = nearestMetric(tk.sla)
    return m ? new Date(m.deadline || m.due_at).getTime() : Infinity
  }
  return tickets.slice().sort((a, b) => key(a) - key(b)
    || String(b.opened_at || '').localeCompare(String(a.opened_at || '')))
}

/** True when a running metric is breached or reaches its deadline within `withinMs`. */
export function breachingSoon(ticket, now = Date.now(), withinMs = 2 * HOUR) {
  const m = nearestMetric(ticket?.sla)
  if (!m) return false
  const left = msUntil(m.deadline || m.due_at, now)
  return left !== null && left <= withinMs
}

export const OPEN_STATUSES = ['new', 'open', 'pending_customer', 'on_hold', 'reopened']

/** The tags typed in a filter box, comma-separated (a tag may hold spaces), without blanks or repeats. */
export function parseTags(text) {
  return [...new Set(String(text || '').split(',').map((tag) => tag.trim()).filter(Boolean))]
}

/**
 * The API query of a queue view (new, mine, my group, unassigned, all open, breaching soon): the server keeps the
 * open tickets (`open: true`) and those carrying every tag asked for. `status` and `tag` are lists, sent as
 * repeated parameters by `ticketsPath`.
 */
export function queueQuery(view, { groupId, tags = [] } = {}) {
  const query = view === 'new' ? { status: ['new'] } : { open: true }
  if (view === 'mine') query.assignee_id = 'me'
  if (view === 'group') query.group_id = groupId
  if (view === 'unassigned') query.unassigned = true
  if (tags.length) query.tag = [...tags]
  return query
}

/** The tickets list's path with a query's list values as repeated parameters (`status=new&status=open`). */
export function ticketsPath(query) {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query || {})) {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (one !== undefined && one !== null && one !== '') params.append(key, String(one))
    }
  }
  const search = params.toString()
  return search ? `/tickets?${search}` : '/tickets'
}

/** Whether a ticket the API listed for `view` belongs in it: the server filtered it already, except for
 * "breaching soon", which depends on the clock and is judged here from the ticket's SLA. */
export function inQueue(view, ticket, now = Date.now()) {
  if (view === 'breaching') return breachingSoon(ticket, now)
  return true
}

/** What the customer may see of a thread: public replies only, never internal notes. */
export function publicEntries(entries) {
  return (entries || []).filter((e) => e && e.public !== false && e.kind !== 'internal_note')
}

/** Statuses a ticket may move to next, from the read's own list when the server gives one. */
const TRANSITIONS = {
  new: ['open', 'pending_customer', 'on_hold', 'resolved', 'closed'],
  open: ['pending_customer', 'on_hold', 'resolved', 'closed'],
  pending_customer: ['open', 'on_hold', 'resolved', 'closed'],
  on_hold: ['open', 'pending_customer', 'resolved', 'closed'],
  resolved: ['closed', 'reopened'],
  closed: ['reopened'],
  reopened: ['open', 'pending_customer', 'on_hold', 'resolved', 'closed'],
}
export function allowedMoves(ticket, table = TRANSITIONS) {
  if (!ticket) return []
  if (Array.isArray(ticket.allowed_transitions)) return ticket.allowed_transitions
  if (Array.isArray(ticket.allowed_statuses)) return ticket.allowed_statuses
  return table[ticket.status] || []
}

/** A JSON document typed in a textarea: {value} when it parses, {error} with the parser's words otherwise. */
export function parseJson(text) {
  if (text === null || text === undefined || !String(text).trim()) return { error: 'empty' }
  try {
    return { value: JSON.parse(text) }
  } catch (err) {
    return { error: err.message }
  }
}

/** The follow link a customer keeps: the request's page with its acknowledgement number and token. */
export function followLink(origin, ack, token) {
  return `${origin}/request/${encodeURIComponent(ack)}?token=${encodeURIComponent(token)}`
}

/** The fields of a public request the browser checks before sending (the server checks them again). */
export const REQUEST_LIMITS = { name: 100, email: 254, phone: 40, company: 200, subject: 200, description: 10000 }
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
export function validateRequest(form) {
  const errors = {}
  for (const field of ['name', 'email', 'subject', 'description']) {
    if (!String(form[field] || '').trim()) errors[field] = 'required'
  }
  for (const [field, max] of Object.entries(REQUEST_LIMITS)) {
    if (String(form[field] || '').length > max) errors[field] = 'tooLong'
  }
  if (!errors.email && !EMAIL.test(String(form.email).trim())) errors.email = 'email'
  return errors
}

// An SLA policy's escalation levels as the policy editor holds them, and back to what the API takes.
export const ESCALATION_NOTIFY = ['notify_assignee', 'notify_team_lead', 'notify_manager']
export const ESCALATION_TARGETS = ['first_response', 'resolution']
const REASSIGN = 'reassign_to_group:'

/** API levels ({at, target, actions}) as editor rows ({target, atBreach, percent, notify, raise, groupId}). */
export function escalationRows(levels) {
  return (levels || []).map((level) => {
    const actions = level.actions || []
    return {
      target: level.target,
      atBreach: level.at === 'breach',
      percent: level.at === 'breach' ? 100 : level.at,
      notify: ESCALATION_NOTIFY.filter((a) => actions.includes(a)),
      raise: actions.includes('raise_priority'),
      groupId: (actions.find((a) => a.startsWith(REASSIGN)) || '').slice(REASSIGN.length),
    }
  })
}

/** Editor rows as the API's levels; a percentage is sent as typed, for the server to check. */
export function escalationLevels(rows) {
  return (rows || []).map((row) => ({
    at: row.atBreach ? 'breach' : (row.percent === '' || row.percent === null ? null : Number(row.percent)),
    target: row.target,
    actions: [
      ...ESCALATION_NOTIFY.filter((a) => (row.notify || []).includes(a)),
      ...(row.raise ? ['raise_priority'] : []),
      ...(row.groupId ? [`${REASSIGN}${row.groupId}`] : []),
    ],
  }))
}

/** What came of a return visit (回访), as the service desk accepts it. */
export const RETURN_VISIT_OUTCOMES = ['reached', 'unreachable', 'satisfied', 'unsatisfied', 'follow_up_needed']
export const RETURN_VISIT_VIEWS = ['due', 'overdue', 'done']

/**
 * The API query of a return-visit view: still to do (`due`, soonest first, the overdue ones among them), only the
 * overdue ones (due before `now`), or done; `mine` keeps the caller's own.
 */
export function returnVisitQuery(view, { mine = false, now = Date.now() } = {}) {
  const query = view === 'done' ? { status: 'completed' } : { status: 'scheduled' }
  if (view === 'overdue') query.due_before = new Date(now).toISOString()
  if (mine) query.assignee_id = 'me'
  return query
}

/** A visit still to do whose time has passed. */
export function visitOverdue(visit, now = Date.now()) {
  const left = msUntil(visit?.due_at, now)
  return visit?.status === 'scheduled' && left !== null && left < 0
}

export { MINUTE, HOUR, DAY }
