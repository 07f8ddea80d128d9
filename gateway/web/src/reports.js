// The report builder's model: the draft a user edits (strings from inputs, groups of conditions) and the
// definition and layout the reporting API reads (POST /reports/preview, /reports), both ways; plus what a
// result's table, chart and run-time filters need. Plain functions, so they are tested without a browser.

export const DATE_KINDS = ['date', 'datetime']
export const NUMBER_KINDS = ['number', 'integer', 'money']
export const CHART_TYPES = ['bar', 'stacked_bar', 'line', 'pie', 'funnel']
export const LAYOUT_TYPES = ['table', 'pivot', 'chart']
// Operators that take no value, and those that take a list or a pair.
const NO_VALUE = ['is_null', 'not_null']
const LIST_VALUE = ['in', 'not_in']
// Excel-style number formats the XLSX export applies; a user may also type their own.
export const COLUMN_FORMATS = ['#,##0', '#,##0.00', '0.0%', 'yyyy-mm-dd', 'yyyy-mm']

const KEY = /^[a-z_][a-z0-9_]*$/

/** True when `text` is a key the API accepts (lower-case letters, digits and _, not starting with a digit). */
export function isKey(text) {
  return typeof text === 'string' && KEY.test(text) && text.length <= 63
}

/** A key made from any text: lower case, other characters as _ ("Won amount" -> "won_amount"). */
export function keyOf(text) {
  const key = String(text || '').toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 63)
  return /^[0-9]/.test(key) ? `_${key}` : key
}

/** The key the API gives a dimension without one: its field with '.' as '_', plus '_<bucket>' when bucketed. */
export function dimensionKey(dimension) {
  if (dimension.key) return dimension.key
  const base = String(dimension.field || '').replace(/\./g, '_')
  return dimension.bucket ? `${base}_${dimension.bucket}` : base
}

/** A measure's key when the user gave none: count, or aggregate_field ("sum_amount"). */
export function defaultMeasureKey(measure) {
  if (measure.mode === 'expression') return ''
  if (measure.aggregate === 'count' && !measure.field) return 'count'
  return keyOf(`${measure.aggregate}_${measure.field || ''}`)
}

export function measureKey(measure) {
  return (measure.key || '').trim() || defaultMeasureKey(measure)
}

export function newGroup(mode = 'all') {
  return { mode, items: [] }
}

export function newCondition(field = '') {
  return { field, op: 'eq', value: '', to: '' }
}

/** An empty draft of a report over `dataset`. */
export function emptyDraft(dataset = '') {
  return {
    dataset,
    computed: [],
    dimensions: [],
    measures: [],
    filters: newGroup('all'),
    parameters: [],
    sort: [],
    limit: '',
  }
}

export function emptyLayout() {
  return {
    type: 'table',
    columns: [],
    pivot: { rows: '', columns: '', measure: '' },
    chart: { type: 'bar', category: '', values: [], series: '' },
  }
}

export function operatorTakesValue(op) {
  return !NO_VALUE.includes(op)
}

/** A value typed in an input as the API expects it for a field of `kind` under `op`. */
export function valueFor(op, kind, text, to) {
  if (NO_VALUE.includes(op)) return undefined
  const one = (v) => {
    const s = typeof v === 'string' ? v.trim() : v
    if (kind === 'boolean') return s === true || s === 'true'
    if (kind === 'integer' && /^-?\d+$/.test(String(s))) return Number(s)
    return s
  }
  if (op === 'relative') return String(text || '').trim()
  if (op === 'between') return [one(text ?? ''), one(to ?? '')]
  if (LIST_VALUE.includes(op)) {
    const items = Array.isArray(text) ? text : String(text || '').split(',')
    return items.map((v) => one(String(v))).filter((v) => v !== '')
  }
  return one(text ?? '')
}

/** The text an input shows for a value the API holds (the inverse of valueFor). */
function textOf(op, value) {
  if (value === undefined || value === null) return { value: '', to: '' }
  if (op === 'between' && Array.isArray(value)) return { value: String(value[0] ?? ''), to: String(value[1] ?? '') }
  if (Array.isArray(value)) return { value: value.join(', '), to: '' }
  return { value: String(value), to: '' }
}

function isGroup(item) {
  return !!item && Array.isArray(item.items)
}

/** A group the editor holds as the API's filters: null when empty, a lone condition as itself. */
export function filtersOf(group, kindOf = () => 'text') {
  const items = (group?.items || [])
    .map((item) => (isGroup(item) ? filtersOf(item, kindOf) : conditionOf(item, kindOf)))
    .filter(Boolean)
  if (items.length === 0) return null
  return { [group.mode === 'any' ? 'any' : 'all']: items }
}

function conditionOf(condition, kindOf) {
  if (!condition?.field || !condition.op) return null
  const out = { field: condition.field, op: condition.op }
  const value = valueFor(condition.op, kindOf(condition.field), condition.value, condition.to)
  if (value !== undefined) out.value = value
  return out
}

/** The API's filters as a group the editor holds (a lone condition becomes a group of one). */
export function groupOf(filters) {
  if (!filters) return newGroup('all')
  if (Array.isArray(filters.all) || Array.isArray(filters.any)) {
    const mode = Array.isArray(filters.any) ? 'any' : 'all'
    return { mode, items: filters[mode].map((item) => (item.all || item.any ? groupOf(item) : editableCondition(item))) }
  }
  return { mode: 'all', items: [editableCondition(filters)] }
}

function editableCondition(condition) {
  return { field: condition.field || '', op: condition.op || 'eq', ...textOf(condition.op, condition.value) }
}

/** The report definition the API reads, from the draft; `fields` are the dataset's (for kinds). */
export function definitionOf(draft, fields = []) {
  const kinds = Object.fromEntries(fields.map((f) => [f.name, f.kind]))
  for (const c of draft.computed || []) if (c.key) kinds[c.key] = kinds[c.key] || 'number'
  const kindOf = (field) => kinds[field] || 'text'
  const definition = {
    dataset: draft.dataset,
    computed: (draft.computed || [])
      .filter((c) => c.key || c.expression)
      .map((c) => ({ key: c.key.trim(), ...(c.label ? { label: c.label } : {}), expression: c.expression })),
    dimensions: (draft.dimensions || []).filter((d) => d.field).map((d) => {
      const out = { field: d.field }
      if (d.bucket) out.bucket = d.bucket
      if (d.label) out.label = d.label
      return out
    }),
    measures: (draft.measures || []).map((m) => {
      const out = { key: measureKey(m) }
      if (m.label) out.label = m.label
      if (m.mode === 'expression') out.expression = m.expression
      else {
        out.aggregate = m.aggregate
        if (m.field) out.field = m.field
      }
      return out
    }),
    filters: filtersOf(draft.filters, kindOf),
    parameters: (draft.parameters || []).filter((p) => p.key || p.field).map((p) => {
      const out = { key: p.key.trim(), field: p.field, op: p.op }
      if (p.label) out.label = p.label
      const hasDefault = (p.op === 'between' ? `${p.default ?? ''}${p.to ?? ''}` : String(p.default ?? '')).trim() !== ''
      if (hasDefault) out.default = valueFor(p.op, kindOf(p.field), p.default, p.to)
      return out
    }),
    sort: (draft.sort || []).filter((s) => s.key).map((s) => ({ key: s.key, direction: s.direction || 'asc' })),
  }
  const limit = Number(draft.limit)
  if (String(draft.limit ?? '').trim() !== '' && Number.isInteger(limit)) definition.limit = limit
  return definition
}

/** A saved definition as a draft the builder edits. */
export function draftOf(definition) {
  const draft = emptyDraft(definition?.dataset || '')
  draft.computed = (definition?.computed || []).map((c) => ({ key: c.key, label: c.label || '', expression: c.expression }))
  draft.dimensions = (definition?.dimensions || []).map((d) => ({ field: d.field, bucket: d.bucket || '', label: d.label || '' }))
  draft.measures = (definition?.measures || []).map((m) => (m.expression
    ? { mode: 'expression', key: m.key, label: m.label || '', aggregate: 'sum', field: '', expression: m.expression }
    : { mode: 'aggregate', key: m.key, label: m.label || '', aggregate: m.aggregate, field: m.field || '', expression: '' }))
  draft.filters = groupOf(definition?.filters)
  draft.parameters = (definition?.parameters || []).map((p) => {
    const text = textOf(p.op, p.default)
    return { key: p.key, label: p.label || '', field: p.field, op: p.op, default: text.value, to: text.to }
  })
  draft.sort = (definition?.sort || []).map((s) => ({ key: s.key, direction: s.direction || 'asc' }))
  draft.limit = definition?.limit ? String(definition.limit) : ''
  return draft
}

/** The columns a definition produces, in order: [{key, label, role}] (dimensions first, then measures). */
export function outputColumns(draft, fields = []) {
  const labels = Object.fromEntries(fields.map((f) => [f.name, f.label]))
  const dims = (draft.dimensions || []).filter((d) => d.field).map((d) => ({
    key: dimensionKey(d),
    label: d.label || `${labels[d.field] || d.field}${d.bucket ? ` (${d.bucket})` : ''}`,
    role: 'dimension',
  }))
  const measures = (draft.measures || []).map((m) => ({ key: measureKey(m), label: m.label || measureKey(m), role: 'measure' }))
    .filter((m) => m.key)
  return [...dims, ...measures]
}

/** The layout the API reads: only the part of its type, and only keys the definition still produces. */
export function layoutOf(layout, draft, fields = []) {
  const keys = new Set(outputColumns(draft, fields).map((c) => c.key))
  const out = {
    type: layout.type || 'table',
    columns: (layout.columns || []).filter((c) => keys.has(c.key)).map((c) => {
      const column = { key: c.key }
      if (c.label) column.label = c.label
      if (c.format) column.format = c.format
      return column
    }),
  }
  if (out.type === 'pivot') out.pivot = { ...layout.pivot }
  if (out.type === 'chart') {
    const chart = { type: layout.chart.type, category: layout.chart.category, values: [...(layout.chart.values || [])] }
    if (layout.chart.series) chart.series = layout.chart.series
    out.chart = chart
  }
  return out
}

/** A saved layout as the builder's (every part present, so switching type keeps the others' choices). */
export function editableLayout(layout) {
  const empty = emptyLayout()
  return {
    type: layout?.type || 'table',
    columns: (layout?.columns || []).map((c) => ({ key: c.key, label: c.label || '', format: c.format || '' })),
    pivot: { ...empty.pivot, ...(layout?.pivot || {}) },
    chart: { ...empty.chart, ...(layout?.chart || {}), series: layout?.chart?.series || '' },
  }
}

/** The layout's column list kept in step with the definition: new keys appended, gone ones dropped. */
export function syncColumns(columns, outputs) {
  const keys = outputs.map((c) => c.key)
  const kept = columns.filter((c) => keys.includes(c.key))
  const missing = keys.filter((k) => !kept.some((c) => c.key === k)).map((key) => ({ key, label: '', format: '' }))
  return [...kept, ...missing]
}

/** Fill the chart or pivot choices the user has not made from what the definition produces. */
export function completeLayout(layout, outputs) {
  const dims = outputs.filter((c) => c.role === 'dimension').map((c) => c.key)
  const measures = outputs.filter((c) => c.role === 'measure').map((c) => c.key)
  const chart = layout.chart
  if (!dims.includes(chart.category)) chart.category = dims[0] || ''
  chart.values = chart.values.filter((v) => measures.includes(v))
  if (chart.values.length === 0 && measures[0]) chart.values = [measures[0]]
  if (chart.series && (!dims.includes(chart.series) || chart.series === chart.category)) chart.series = ''
  const pivot = layout.pivot
  if (!dims.includes(pivot.rows)) pivot.rows = dims[0] || ''
  if (!dims.includes(pivot.columns) || pivot.columns === pivot.rows) pivot.columns = dims.find((d) => d !== pivot.rows) || ''
  if (!measures.includes(pivot.measure)) pivot.measure = measures[0] || ''
  return layout
}

/** Why a draft cannot be previewed yet (an i18n key under reports.builder.incomplete), or null. */
export function incompleteReason(draft, layout) {
  if (!draft.dataset) return 'dataset'
  const measures = draft.measures || []
  if ((draft.dimensions || []).filter((d) => d.field).length === 0 && measures.length === 0) return 'columns'
  if (measures.some((m) => (m.mode === 'expression' ? !m.expression?.trim() : !m.aggregate || (m.aggregate !== 'count' && !m.field)))) return 'measure'
  if (layout.type === 'chart' && (!layout.chart.category || layout.chart.values.length === 0)) return 'chart'
  if (layout.type === 'pivot' && (!layout.pivot.rows || !layout.pivot.columns || !layout.pivot.measure)) return 'pivot'
  return null
}

/** A result's cell as text: money and numbers grouped in the locale, dates as sent. */
export function formatCell(value, column, locale = 'en-US') {
  if (value === null || value === undefined || value === '') return '—'
  const kind = column?.kind
  if (kind === 'money') {
    return new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(Number(value))
  }
  if (kind === 'number' || kind === 'integer' || typeof value === 'number') {
    const format = column?.format || ''
    if (format.includes('%')) return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(Number(value))
    return new Intl.NumberFormat(locale, { maximumFractionDigits: kind === 'integer' ? 0 : 2 }).format(Number(value))
  }
  if (kind === 'boolean') return value ? '✓' : '✗'
  if (kind === 'datetime' && typeof value === 'string') return value.replace('T', ' ').replace(/(:\d\d)(\.\d+)?Z$/, '$1 UTC')
  return String(value)
}

/**
 * What a chart draws from a result: the category labels and one series per value (or, with `series`,
 * one per value of that field, for the first value). Rows keep the result's order.
 */
export function chartData(result) {
  const chart = result?.chart
  if (!chart) return { categories: [], series: [] }
  const rows = result.rows || []
  const labelOf = (key) => chart.labels?.[key] || key
  const categoryText = (v) => (v === null || v === undefined || v === '' ? '—' : String(v))
  const categories = []
  for (const row of rows) {
    const c = categoryText(row[chart.category])
    if (!categories.includes(c)) categories.push(c)
  }
  if (!chart.series) {
    return {
      categories,
      series: chart.values.map((key) => {
        const data = categories.map(() => 0)
        for (const row of rows) data[categories.indexOf(categoryText(row[chart.category]))] += Number(row[key] || 0)
        return { key, name: labelOf(key), data }
      }),
    }
  }
  const value = chart.values[0]
  const names = []
  for (const row of rows) {
    const s = categoryText(row[chart.series])
    if (!names.includes(s)) names.push(s)
  }
  return {
    categories,
    series: names.map((name) => {
      const data = categories.map(() => 0)
      for (const row of rows) {
        if (categoryText(row[chart.series]) === name) data[categories.indexOf(categoryText(row[chart.category]))] += Number(row[value] || 0)
      }
      return { key: name, name, data }
    }),
  }
}

/** The `params` query value of a run: the run-time filter values given, as JSON (undefined when none). */
export function paramsQuery(parameters, values, fields = []) {
  const kinds = Object.fromEntries(fields.map((f) => [f.name, f.kind]))
  const out = {}
  for (const p of parameters || []) {
    const entry = values?.[p.key]
    if (!entry) continue
    const given = p.op === 'between' ? `${entry.value ?? ''}${entry.to ?? ''}` : String(entry.value ?? '')
    if (given.trim() === '') continue
    out[p.key] = valueFor(p.op, kinds[p.field] || 'text', entry.value, entry.to)
  }
  return Object.keys(out).length ? JSON.stringify(out) : undefined
}

/** Parse an API error's message into where it points (e.g. "measures[0].field") and what it says. */
export function errorLines(error) {
  const lines = []
  for (const [where, messages] of Object.entries(error?.errors || {})) {
    for (const message of [].concat(messages)) {
      lines.push(typeof message === 'object' ? `${where}: ${JSON.stringify(message)}` : `${where}: ${message}`)
    }
  }
  return lines
}
