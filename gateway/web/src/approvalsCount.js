// How many approval requests wait on the signed-in user (GET /approvals/todo), for the badge in the side
// navigation. Read at most every half minute while moving between pages; the to-do page sets it exactly.
import { ref } from 'vue'
import { api } from './api.js'

export const approvalCount = ref(0)
const FRESH_MS = 30_000
let readAt = 0
let pending = null

/** Re-read the count (unless read in the last half minute, or `force`). */
export function refreshApprovalCount({ force = false } = {}) {
  if (pending || (!force && Date.now() - readAt < FRESH_MS)) return pending
  pending = api.get('/approvals/todo', undefined, { toast: false })
    .then((data) => { approvalCount.value = (data?.items || []).length })
    .catch(() => {})
    .finally(() => { readAt = Date.now(); pending = null })
  return pending
}

/** The to-do page knows the count: no need to ask again. */
export function setApprovalCount(n) {
  approvalCount.value = n
  readAt = Date.now()
}

/** Forget the count (sign-out). */
export function resetApprovalCount() {
  approvalCount.value = 0
  readAt = 0
}
