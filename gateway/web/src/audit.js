// A record's audit trail (GET /api/v1/<records>/{id}/audit) as the History panel shows it.

const TRAILS = { lead: 'leads', customer: 'customers', ticket: 'tickets' }
const EVENT_NAME = /^[a-z_]+\.([a-z_]+)\.([a-z_]+)\.v\d+$/

// The API path of a record's trail, e.g. auditPath('lead', 'L1') === '/leads/L1/audit'.
export function auditPath(recordType, id) {
  const resource = TRAILS[recordType]
  if (!resource) throw new Error(`no audit trail for ${recordType}`)
  return `/${resource}/${encodeURIComponent(id)}/audit`
}

// What happened, readably: an event's aggregate and verb ("lead claimed"), or a direct change's verb.
export function actionText(action) {
  const match = EVENT_NAME.exec(action || '')
  const words = match ? `${match[1]} ${match[2]}` : action || ''
  return words.replaceAll('_', ' ')
}

// Who did it: the person's name (or id), or the system job or rule that did it on its own.
export function actorText(entry, systemLabel = (job) => job) {
  if (entry.actor_kind === 'system') return systemLabel(entry.actor_name || 'system')
  return entry.actor_name || entry.actor_id
}

// The next page's offset, or null once every entry is shown.
export function nextOffset(page) {
  const shown = (page.offset || 0) + (page.items || []).length
  return shown < (page.total || 0) ? shown : null
}
