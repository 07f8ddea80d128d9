// Unit tests of the pipeline helpers: stages, moving cards on the board, the forecast table, deal lines.
// Run: npm test
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  addAmounts, checkLines, dropOutcome, findCard, forecastTable, forecastWindow, lastOpenStage, lineTotal,
  linesPayload, moveTargets, orderLinesFrom, toCents, withCardMoved, withCardRemoved,
} from '../src/pipeline.js'

const STAGES = [
  { key: 'won', position: 5, is_won: true, is_lost: false },
  { key: 'qualification', position: 1, is_won: false, is_lost: false },
  { key: 'proposal', position: 3, is_won: false, is_lost: false },
  { key: 'lost', position: 6, is_won: false, is_lost: true },
  { key: 'negotiation', position: 4, is_won: false, is_lost: false },
]

const card = (id, stage, amount, currency = 'CNY') => ({ id, stage, amount, currency, version: 1 })
const board = () => [
  { stage: { key: 'qualification' }, count: 2, totals: [{ currency: 'CNY', amount: '300.10' }],
    items: [card('a', 'qualification', '100.05'), card('b', 'qualification', '200.05')] },
  { stage: { key: 'proposal' }, count: 0, totals: [], items: [] },
]

test('decimal strings are added exactly, never through a float', () => {
  assert.equal(addAmounts('0.1', '0.2'), '0.30')
  assert.equal(addAmounts('999999999999999.99', '0.01'), '1000000000000000.00')
  assert.equal(toCents('1.234'), null)
  assert.equal(toCents('abc'), null)
})

test('the last open stage is the last one before won and lost, in pipeline order', () => {
  assert.equal(lastOpenStage(STAGES).key, 'negotiation')
  assert.deepEqual(moveTargets(STAGES, { stage: 'proposal' }).map((s) => s.key), ['qualification', 'negotiation'])
})

test('dropping on the won or lost stage closes the deal; on any other stage moves it', () => {
  assert.equal(dropOutcome(STAGES[0]), 'won')
  assert.equal(dropOutcome(STAGES[3]), 'lost')
  assert.equal(dropOutcome(STAGES[2]), 'move')
})

test('moving a card takes it from its column to the top of the other, with counts and totals', () => {
  const moved = withCardMoved(board(), 'a', 'proposal', { ...card('a', 'proposal', '100.05'), version: 2 })
  assert.deepEqual(moved[0].items.map((c) => c.id), ['b'])
  assert.equal(moved[0].count, 1)
  assert.deepEqual(moved[0].totals, [{ currency: 'CNY', amount: '200.05' }])
  assert.deepEqual(moved[1].items.map((c) => [c.id, c.stage, c.version]), [['a', 'proposal', 2]])
  assert.equal(moved[1].count, 1)
  assert.deepEqual(moved[1].totals, [{ currency: 'CNY', amount: '100.05' }])
  assert.equal(findCard(moved, 'a').column.stage.key, 'proposal')
})

test('moving an unknown card leaves the board as it was', () => {
  const before = board()
  assert.equal(withCardMoved(before, 'zzz', 'proposal'), before)
})

test('a won or lost card leaves the board', () => {
  const after = withCardRemoved(board(), 'b')
  assert.deepEqual(after[0].items.map((c) => c.id), ['a'])
  assert.equal(after[0].count, 1)
  assert.deepEqual(after[0].totals, [{ currency: 'CNY', amount: '100.05' }])
})

test('the forecast window starts this month and spans the months asked for', () => {
  assert.deepEqual(forecastWindow(new Date(Date.UTC(2026, 10, 27)), 6), { from: '2026-11', to: '2027-04' })
})

test('forecast rows of several reps in one month add up per currency, months in order', () => {
  const table = forecastTable([
    { month: '2027-01', owner_id: 'u1', currency: 'CNY', count: 1, amount: '100.10', weighted_amount: '75.08' },
    { month: '2026-12', owner_id: 'u1', currency: 'USD', count: 2, amount: '50.00', weighted_amount: '25.00' },
    { month: '2027-01', owner_id: 'u2', currency: 'CNY', count: 3, amount: '0.20', weighted_amount: '0.02' },
  ])
  assert.deepEqual(table.currencies, ['CNY', 'USD'])
  assert.deepEqual(table.rows.map((r) => r.month), ['2026-12', '2027-01'])
  assert.deepEqual(table.rows[1].cells.CNY, { count: 4, amount: '100.30', weighted_amount: '75.10' })
})

test('a line total is quantity × price − discount, to the cent, half to even like the server', () => {
  assert.equal(lineTotal({ quantity: '3', unit_price: '19.99', discount: '0.97' }), '59.00')
  assert.equal(lineTotal({ quantity: '0.5', unit_price: '0.05' }), '0.02') // 0.025 → 0.02
  assert.equal(lineTotal({ quantity: '1.5', unit_price: '0.05' }), '0.08') // 0.075 → 0.08
  assert.equal(lineTotal({ quantity: 'x', unit_price: '1' }), null)
})

test('the new-opportunity lines are checked against the catalogue and totalled', () => {
  const products = {
    p1: { id: 'p1', unit_price: '1000.00', currency: 'CNY' },
    p2: { id: 'p2', unit_price: '10.00', currency: 'USD' },
  }
  const ok = checkLines([{ product_id: 'p1', quantity: '2', discount: '150' }], products)
  assert.deepEqual(ok, { errors: {}, total: '1850.00', currency: 'CNY' })
  const bad = checkLines([
    { product_id: 'p1', quantity: '0', discount: '0' },
    { product_id: 'p2', quantity: '1', discount: '11' },
    { product_id: '', quantity: '1' },
  ], products)
  assert.deepEqual(bad.errors, {
    '0.quantity': 'quantity', '1.product_id': 'currencyMix', '1.discount': 'discountTooLarge', '2.product_id': 'required',
  })
  assert.deepEqual(linesPayload([{ product_id: 'p1', quantity: ' 2 ', discount: '' }]),
    { lines: [{ product_id: 'p1', quantity: '2', discount: '0' }] })
})

test('an order from a won deal takes its product lines, or one line for the whole deal', () => {
  const deal = {
    name: 'Fleet', amount: '1850.00',
    lines: [{ sku: 'SKU-1', name: 'Seat', quantity: '2.00', unit_price: '1000.00', discount: '150.00' },
      { sku: 'SKU-2', name: 'Setup', quantity: '1.00', unit_price: '0.00', discount: '0.00' }],
  }
  assert.deepEqual(orderLinesFrom(deal), [
    { sku: 'SKU-1', description: 'Seat', quantity: '2.00', unit_price: '1000.00', discount_amount: '150.00' },
    { sku: 'SKU-2', description: 'Setup', quantity: '1.00', unit_price: '0.00' },
  ])
  assert.deepEqual(orderLinesFrom({ name: 'Fleet', amount: '99.00', lines: [] }),
    [{ sku: 'DEAL', description: 'Fleet', quantity: '1', unit_price: '99.00' }])
})
