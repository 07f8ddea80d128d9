// Locale-aware formatting with Intl. Each helper reads the current UI locale,
// so templates re-render in the new format when the language changes.
import { currentLocale, t, te } from './i18n/index.js'

const cache = new Map()
function formatter(kind, options) {
  const locale = currentLocale()
  const key = `${kind}|${locale}|${JSON.stringify(options)}`
  let f = cache.get(key)
  if (!f) {
    f = kind === 'date' ? new Intl.DateTimeFormat(locale, options)
      : kind === 'rel' ? new Intl.RelativeTimeFormat(locale, options)
      : new Intl.NumberFormat(locale, options)
    cache.set(key, f)
  }
  return f
}

function toDate(value) {
  if (value === null || value === undefined || value === '') return null
  const d = value instanceof Date ? value : new Date(value)
  return Number.isNaN(d.getTime()) ? null : d
}

const DASH = '—'

export function formatDate(value) {
  const d = toDate(value)
  return d ? formatter('date', { year: 'numeric', month: 'short', day: 'numeric' }).format(d) : DASH
}

export function formatDateTime(value) {
  const d = toDate(value)
  return d ? formatter('date', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }).format(d) : DASH
}

export function formatTime(value) {
  const d = toDate(value)
  return d ? formatter('date', { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(d) : DASH
}

/** "3 minutes ago" / "3分钟前" for recent dates, otherwise the date. */
export function formatRelative(value, now = Date.now()) {
  const d = toDate(value)
  if (!d) return DASH
  const seconds = Math.round((d.getTime() - now) / 1000)
  const abs = Math.abs(seconds)
  const rel = formatter('rel', { numeric: 'auto' })
  if (abs < 45) return rel.format(0, 'second')
  if (abs < 45 * 60) return rel.format(Math.round(seconds / 60), 'minute')
  if (abs < 22 * 3600) return rel.format(Math.round(seconds / 3600), 'hour')
  if (abs < 6 * 86400) return rel.format(Math.round(seconds / 86400), 'day')
  return formatDate(d)
}

export function formatNumber(value, options = {}) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return DASH
  return formatter('num', options).format(Number(value))
}

export function formatPercent(ratio, digits = 1) {
  if (ratio === null || ratio === undefined || !Number.isFinite(Number(ratio))) return DASH
  return formatter('num', { style: 'percent', maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(Number(ratio))
}

/** Money: amount in major units; the currency comes from the data, never from the UI language. */
export function formatMoney(amount, currency = 'CNY') {
  if (amount === null || amount === undefined || Number.isNaN(Number(amount))) return DASH
  return formatter('num', { style: 'currency', currency }).format(Number(amount))
}

/** Translated label for a code (channel, status, priority, role), falling back to the raw code. */
export function label(group, code) {
  if (code === null || code === undefined || code === '') return DASH
  const key = `${group}.${code}`
  return te(key) ? t(key) : String(code).replace(/_/g, ' ')
}

/** Ids from events and from the API may differ in type (7 vs "7"): compare them as text. */
export function sameId(a, b) {
  return a !== undefined && a !== null && b !== undefined && b !== null && String(a) === String(b)
}
