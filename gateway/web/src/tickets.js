// Pure helpers of the service desk pages: SLA countdowns and their tone, queue views, thread filtering,
// allowed status moves, and reading a JSON document typed by a manager. No Vue, no fetch: tested with node.

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

/**
 * The API query of a queue view: new, mine, my group, unassigned, all open, breaching soon. The list endpoint
 * filters by one status at a time, so the open-only views ask for every status and keep the open ones.
 */
export function queueQuery(view, { groupId } = {}) {
  switch (view) {
    case 'new': return { status: 'new' }
    case 'mine': return { assignee_id: 'me' }
    case 'group': return { group_id: groupId }
    case 'unassigned': return { unassigned: true }
    default: return {}
  }
}

/** Whether a ticket the API listed for `view` belongs in it (open ones only; breaching soon: by its SLA). */
export function inQueue(view, ticket, now = Date.now()) {
  if (!OPEN_STATUSES.includes(ticket?.status)) return false
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

export { MINUTE, HOUR, DAY }
