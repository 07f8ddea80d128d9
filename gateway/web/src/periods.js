// Sales periods as the targets API names them: a month "2026-11", a quarter "2026-Q4", a year "2026".
// Also how full an achievement bar is drawn, from the percent string the API sends ("82.5", or null).

const PERIOD = /^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$/
export const PERIOD_KINDS = ['month', 'quarter', 'year']

/** True when `text` is a period the API accepts. */
export function isPeriod(text) {
  return typeof text === 'string' && PERIOD.test(text)
}

/** The kind of a period: 'month', 'quarter' or 'year' (null when it is not a period). */
export function periodKind(text) {
  if (!isPeriod(text)) return null
  if (text.length === 4) return 'year'
  return text.includes('Q') ? 'quarter' : 'month'
}

/** The period of `kind` containing `day` (a Date, read in UTC like the server's periods). */
export function periodOf(kind, day = new Date()) {
  const year = day.getUTCFullYear()
  const month = day.getUTCMonth() + 1
  if (kind === 'year') return String(year)
  if (kind === 'quarter') return `${year}-Q${Math.floor((month - 1) / 3) + 1}`
  return `${year}-${String(month).padStart(2, '0')}`
}

/** The period of the same kind just before (step -1) or after (step 1) `period`. */
export function shiftPeriod(period, step) {
  const kind = periodKind(period)
  if (!kind) return period
  const year = Number(period.slice(0, 4))
  if (kind === 'year') return String(year + step)
  const size = kind === 'quarter' ? 4 : 12
  const index = kind === 'quarter' ? Number(period.slice(6)) - 1 : Number(period.slice(5)) - 1
  const next = year * size + index + step
  const nextYear = Math.floor(next / size)
  const nextIndex = next - nextYear * size + 1
  return kind === 'quarter' ? `${nextYear}-Q${nextIndex}` : `${nextYear}-${String(nextIndex).padStart(2, '0')}`
}

/** The width of an achievement bar in percent of its track: 0 to 100, whatever was reached. */
export function barWidth(percent) {
  const value = Number(percent)
  if (percent === null || percent === undefined || !Number.isFinite(value) || value <= 0) return 0
  return Math.min(value, 100)
}

/** 'reached' at 100% or more, 'behind' below 50%, else 'on-track'; 'none' without a figure. */
export function barTone(percent) {
  if (percent === null || percent === undefined || !Number.isFinite(Number(percent))) return 'none'
  const value = Number(percent)
  return value >= 100 ? 'reached' : value < 50 ? 'behind' : 'on-track'
}

/** The first and last day of a period as ISO dates, for date filters: {from: '2026-10-01', to: '2026-12-31'}. */
export function periodRange(period) {
  const kind = periodKind(period)
  if (!kind) return null
  const year = Number(period.slice(0, 4))
  const first = kind === 'year' ? 1 : kind === 'quarter' ? (Number(period.slice(6)) - 1) * 3 + 1 : Number(period.slice(5))
  const months = kind === 'year' ? 12 : kind === 'quarter' ? 3 : 1
  const last = new Date(Date.UTC(year, first - 1 + months, 0))
  const iso = (d) => d.toISOString().slice(0, 10)
  return { from: iso(new Date(Date.UTC(year, first - 1, 1))), to: iso(last) }
}
