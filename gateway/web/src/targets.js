// Writes of the targets and expenses pages. A new target is POSTed; an existing one (same subject, period and
// metric) is changed with PATCH and If-Match carrying the version the page showed (428 without, 412 if changed
// meanwhile); an expense is approved or rejected the same way.
import { STALE, api } from './api.js'
import { toast } from './toast.js'
import { t } from './i18n/index.js'

export const SUBJECT_KINDS = ['rep', 'team', 'department']
export const METRICS = ['won_amount', 'payments_collected', 'new_customers']
export const MONEY_METRICS = ['won_amount', 'payments_collected']

/** Set the target described by `form`: change `existing` (a target the page loaded) or create a new one. */
export async function saveTarget(form, existing) {
  const money = MONEY_METRICS.includes(form.metric)
  if (existing) {
    try {
      return await api.patch(`/targets/${existing.id}`,
        money ? { value: form.value, currency: form.currency } : { value: form.value },
        { ifMatch: existing.version, toast: false })
    } catch (error) {
      toast.error(staleOr(error))
      throw error
    }
  }
  const body = { subject_kind: form.subject_kind, subject_id: form.subject_id, period: form.period, metric: form.metric, value: form.value }
  if (money) body.currency = form.currency
  return api.post('/targets', body)
}

/** The message for a refused write: ours when someone changed the record meanwhile, else the server's. */
export function staleOr(error) {
  return error?.status === STALE ? t('salesTeam.stale') : error.message
}
