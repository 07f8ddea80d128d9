// Unit tests of the report builder's model (src/reports.js): drafts to definitions and back, layouts,
// run-time parameters and what a chart draws from a result.
// Run: npm test
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  chartData, completeLayout, definitionOf, dimensionKey, draftOf, editableLayout, emptyDraft, emptyLayout, errorLines,
  filtersOf, formatCell, groupOf, incompleteReason, isKey, keyOf, layoutOf, outputColumns, paramsQuery, syncColumns, valueFor,
} from '../src/reports.js'

const FIELDS = [
  { name: 'amount', label: 'Amount', kind: 'money' },
  { name: 'stage', label: 'Stage', kind: 'text' },
  { name: 'win_probability', label: 'Win probability %', kind: 'integer' },
  { name: 'closed_at', label: 'Closed', kind: 'datetime' },
  { name: 'customer.level', label: 'Customer level', kind: 'text' },
  { name: 'active', label: 'Active', kind: 'boolean' },
]

test('keys are what the API accepts, and any text can be made one', () => {
  for (const good of ['won', 'sum_amount', '_x1']) assert.ok(isKey(good), good)
  for (const bad of ['Won', '1st', 'a-b', '', 'a'.repeat(64)]) assert.ok(!isKey(bad), bad)
  assert.equal(keyOf('Won amount (CNY)'), 'won_amount_cny')
  assert.equal(keyOf('2026 total'), '_2026_total')
})

test('a dimension is keyed as the API keys it: dots as _ and the bucket appended', () => {
  assert.equal(dimensionKey({ field: 'closed_at', bucket: 'month' }), 'closed_at_month')
  assert.equal(dimensionKey({ field: 'customer.level' }), 'customer_level')
  assert.equal(dimensionKey({ field: 'stage', key: 'phase' }), 'phase')
})

test('values typed in inputs take the type the API expects for the field and operator', () => {
  assert.deepEqual(valueFor('in', 'text', 'won, lost ,'), ['won', 'lost'])
  assert.deepEqual(valueFor('between', 'money', '100', '200.50'), ['100', '200.50'])
  assert.equal(valueFor('gte', 'integer', '50'), 50)
  assert.equal(valueFor('eq', 'boolean', 'false'), false)
  assert.equal(valueFor('is_null', 'text', 'ignored'), undefined)
  assert.equal(valueFor('relative', 'datetime', ' this_month '), 'this_month')
})

test('an AND/OR group with a nested group becomes the API filters, and back', () => {
  const group = {
    mode: 'all',
    items: [
      { field: 'stage', op: 'in', value: 'won, negotiation', to: '' },
      { mode: 'any', items: [{ field: 'amount', op: 'gte', value: '1000', to: '' }, { field: 'closed_at', op: 'is_null', value: '', to: '' }] },
      { field: '', op: 'eq', value: 'half-typed', to: '' },
    ],
  }
  const kindOf = (name) => FIELDS.find((f) => f.name === name)?.kind
  const filters = filtersOf(group, kindOf)
  assert.deepEqual(filters, {
    all: [
      { field: 'stage', op: 'in', value: ['won', 'negotiation'] },
      { any: [{ field: 'amount', op: 'gte', value: '1000' }, { field: 'closed_at', op: 'is_null' }] },
    ],
  })
  assert.deepEqual(filtersOf(groupOf(filters), kindOf), filters)
  assert.equal(filtersOf({ mode: 'any', items: [] }), null)
  assert.deepEqual(groupOf({ field: 'stage', op: 'eq', value: 'won' }), { mode: 'all', items: [{ field: 'stage', op: 'eq', value: 'won', to: '' }] })
})

test('a draft becomes a definition with default measure keys, and a saved definition becomes the same draft', () => {
  const draft = emptyDraft('opportunities')
  draft.dimensions.push({ field: 'closed_at', bucket: 'month', label: '' }, { field: '', bucket: '', label: '' })
  draft.measures.push(
    { mode: 'aggregate', key: '', label: 'Won', aggregate: 'sum', field: 'amount', expression: '' },
    { mode: 'aggregate', key: '', label: '', aggregate: 'count', field: '', expression: '' },
    { mode: 'expression', key: 'avg_deal', label: 'Average deal', aggregate: 'sum', field: '', expression: 'sum(amount)/count()' },
  )
  draft.parameters.push({ key: 'period', label: 'Closed in', field: 'closed_at', op: 'relative', default: 'this_year', to: '' })
  draft.sort.push({ key: 'sum_amount', direction: 'desc' })
  draft.limit = '50'
  const definition = definitionOf(draft, FIELDS)
  assert.deepEqual(definition, {
    dataset: 'opportunities',
    computed: [],
    dimensions: [{ field: 'closed_at', bucket: 'month' }],
    measures: [
      { key: 'sum_amount', label: 'Won', aggregate: 'sum', field: 'amount' },
      { key: 'count', aggregate: 'count' },
      { key: 'avg_deal', label: 'Average deal', expression: 'sum(amount)/count()' },
    ],
    filters: null,
    parameters: [{ key: 'period', field: 'closed_at', op: 'relative', label: 'Closed in', default: 'this_year' }],
    sort: [{ key: 'sum_amount', direction: 'desc' }],
    limit: 50,
  })
  assert.deepEqual(definitionOf(draftOf(definition), FIELDS), definition)
})

test('the layout follows the definition: columns synced, chart and pivot filled, only its own part sent', () => {
  const draft = emptyDraft('opportunities')
  draft.dimensions.push({ field: 'stage', bucket: '', label: '' }, { field: 'customer.level', bucket: '', label: '' })
  draft.measures.push({ mode: 'aggregate', key: '', label: '', aggregate: 'sum', field: 'amount', expression: '' })
  const outputs = outputColumns(draft, FIELDS)
  assert.deepEqual(outputs.map((c) => [c.key, c.role]), [['stage', 'dimension'], ['customer_level', 'dimension'], ['sum_amount', 'measure']])

  const layout = emptyLayout()
  layout.columns = syncColumns([{ key: 'gone', label: 'x', format: '' }, { key: 'sum_amount', label: 'Total', format: '#,##0.00' }], outputs)
  assert.deepEqual(layout.columns.map((c) => c.key), ['sum_amount', 'stage', 'customer_level'])
  completeLayout(layout, outputs)
  assert.deepEqual(layout.chart, { type: 'bar', category: 'stage', values: ['sum_amount'], series: '' })
  assert.deepEqual(layout.pivot, { rows: 'stage', columns: 'customer_level', measure: 'sum_amount' })

  layout.type = 'chart'
  layout.chart.series = 'customer_level'
  const sent = layoutOf(layout, draft, FIELDS)
  assert.deepEqual(sent.chart, { type: 'bar', category: 'stage', values: ['sum_amount'], series: 'customer_level' })
  assert.equal(sent.pivot, undefined)
  assert.deepEqual(sent.columns[0], { key: 'sum_amount', label: 'Total', format: '#,##0.00' })
  assert.deepEqual(editableLayout(sent).chart, layout.chart)
})

test('a preview waits for a dataset, something to show, complete measures and the layout choices', () => {
  const draft = emptyDraft('')
  const layout = emptyLayout()
  assert.equal(incompleteReason(draft, layout), 'dataset')
  draft.dataset = 'payments'
  assert.equal(incompleteReason(draft, layout), 'columns')
  draft.measures.push({ mode: 'aggregate', key: '', label: '', aggregate: 'sum', field: '', expression: '' })
  assert.equal(incompleteReason(draft, layout), 'measure')
  draft.measures[0].field = 'amount'
  assert.equal(incompleteReason(draft, layout), null)
  layout.type = 'chart'
  assert.equal(incompleteReason(draft, layout), 'chart')
})

test('a chart draws one series per value, or one per value of the series field', () => {
  const rows = [
    { stage: 'won', level: 'A', sum_amount: '1200.50', count: 2 },
    { stage: 'won', level: 'B', sum_amount: '300.00', count: 1 },
    { stage: 'lost', level: 'A', sum_amount: '80.00', count: 1 },
  ]
  const plain = chartData({ rows, chart: { type: 'bar', category: 'stage', values: ['sum_amount', 'count'], labels: { sum_amount: 'Amount' } } })
  assert.deepEqual(plain.categories, ['won', 'lost'])
  assert.deepEqual(plain.series, [
    { key: 'sum_amount', name: 'Amount', data: [1500.5, 80] },
    { key: 'count', name: 'count', data: [3, 1] },
  ])
  const split = chartData({ rows, chart: { type: 'stacked_bar', category: 'stage', values: ['sum_amount'], series: 'level' } })
  assert.deepEqual(split.series, [{ key: 'A', name: 'A', data: [1200.5, 80] }, { key: 'B', name: 'B', data: [300, 0] }])
  assert.deepEqual(chartData({ rows, chart: null }), { categories: [], series: [] })
})

test('run-time filter values are sent as JSON, only the ones given', () => {
  const parameters = [
    { key: 'period', field: 'closed_at', op: 'relative' },
    { key: 'stages', field: 'stage', op: 'in' },
    { key: 'size', field: 'amount', op: 'between' },
  ]
  const values = { period: { value: 'last_month' }, stages: { value: '' }, size: { value: '10', to: '20' } }
  assert.deepEqual(JSON.parse(paramsQuery(parameters, values, FIELDS)), { period: 'last_month', size: ['10', '20'] })
  assert.equal(paramsQuery(parameters, {}, FIELDS), undefined)
})

test('cells are written for people: money with two decimals, empty as a dash', () => {
  assert.equal(formatCell('1234.5', { kind: 'money' }), '1,234.50')
  assert.equal(formatCell(3, { kind: 'integer' }), '3')
  assert.equal(formatCell(0.256, { kind: 'number', format: '0.0%' }), '25.6%')
  assert.equal(formatCell(null, { kind: 'text' }), '—')
  assert.equal(formatCell('2026-11-02T08:30:00Z', { kind: 'datetime' }), '2026-11-02 08:30:00 UTC')
})

test('an error lists each place it points to', () => {
  assert.deepEqual(errorLines({ errors: { 'measures[0].field': ["no field 'amout'; did you mean amount?"] } }),
    ["measures[0].field: no field 'amout'; did you mean amount?"])
  assert.deepEqual(errorLines(null), [])
})
