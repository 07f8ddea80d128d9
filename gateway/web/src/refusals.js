// Friendly texts for the API's refusal codes (claim rules, reveals, returns, distribution, pools).
// errorText(err) gives the translated text of err.code (filled in from err.errors, e.g. {quota}),
// falling back to the server's own message for codes without a translation.
import { t, te } from './i18n/index.js'
import { formatDateTime } from './format.js'

/** The translated text of an ApiError (or anything with .code/.message/.errors). */
export function errorText(err) {
  if (!err) return ''
  const key = `refusals.${err.code}`
  if (err.code && te(key)) {
    const params = {}
    for (const [name, value] of Object.entries(err.errors || {})) {
      if (typeof value === 'number' || typeof value === 'string') params[name] = value
    }
    if (params.claimable_from) params.claimable_from = formatDateTime(params.claimable_from)
    return t(key, params)
  }
  return err.message || String(err)
}

/** True when err is one of the leads service's rule refusals (has a translated text). */
export function isRefusal(err) {
  return !!err?.code && te(`refusals.${err.code}`)
}

/**
 * Field errors of a (possibly nested) error shape as {"rules.daily_claim_quota": "message"}.
 * marshmallow nests the errors of nested schemas: {rules: {daily_claim_quota: ["..."]}}.
 */
export function flatFieldErrors(error) {
  const out = {}
  const walk = (prefix, value) => {
    if (Array.isArray(value)) {
      if (value.every((v) => typeof v === 'string')) out[prefix] = value.join(' ')
      else value.forEach((v, i) => walk(`${prefix}.${i}`, v))
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v)
    } else if (value !== undefined && value !== null) {
      out[prefix] = String(value)
    }
  }
  walk('', error?.errors || {})
  return out
}
