// Customer names for pages that only hold a customer_id (contracts, approvals): read once per id
// (GET /customers/{id}) and kept for the session; a customer the user may not see shows a short id.
import { reactive } from 'vue'
import { api } from './api.js'

const names = reactive({})
const asked = new Set()

/** The customer's name once loaded (reactive); a short id until then or when it cannot be read. */
export function customerName(id) {
  if (id === null || id === undefined || id === '') return '—'
  const key = String(id)
  if (!asked.has(key)) {
    asked.add(key)
    api.get(`/customers/${encodeURIComponent(key)}`, undefined, { toast: false })
      .then((customer) => { names[key] = customer?.name || null })
      .catch(() => { names[key] = null })
  }
  return names[key] || `#${key.slice(0, 8)}`
}
