// Unit tests of the sales periods and achievement bars (src/periods.js).
// Run: npm test
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { barTone, barWidth, isPeriod, periodKind, periodOf, periodRange, shiftPeriod } from '../src/periods.js'

test('periods are months, quarters or years as the API writes them', () => {
  for (const good of ['2026-11', '2026-Q4', '2026']) assert.ok(isPeriod(good), good)
  for (const bad of ['2026-13', '2026-Q5', '26-11', '2026-11-01', '', null]) assert.ok(!isPeriod(bad), String(bad))
  assert.equal(periodKind('2026-Q1'), 'quarter')
  assert.equal(periodKind('2026'), 'year')
  assert.equal(periodKind('2026-02'), 'month')
})

test('the current period is read in UTC', () => {
  const lateOnNewYearsEve = new Date(Date.UTC(2026, 11, 31, 23, 30))
  assert.equal(periodOf('month', lateOnNewYearsEve), '2026-12')
  assert.equal(periodOf('quarter', lateOnNewYearsEve), '2026-Q4')
  assert.equal(periodOf('year', lateOnNewYearsEve), '2026')
})

test('periods step across year ends', () => {
  assert.equal(shiftPeriod('2026-12', 1), '2027-01')
  assert.equal(shiftPeriod('2027-01', -1), '2026-12')
  assert.equal(shiftPeriod('2026-Q4', 1), '2027-Q1')
  assert.equal(shiftPeriod('2026-Q1', -1), '2025-Q4')
  assert.equal(shiftPeriod('2026', -1), '2025')
})

test('achievement bars stay within their track', () => {
  assert.equal(barWidth('82.5'), 82.5)
  assert.equal(barWidth('150.0'), 100)
  assert.equal(barWidth(null), 0)
  assert.equal(barTone('100.0'), 'reached')
  assert.equal(barTone('49.9'), 'behind')
  assert.equal(barTone('50.0'), 'on-track')
  assert.equal(barTone(null), 'none')
})

test('a period covers its first to its last day', () => {
  assert.deepEqual(periodRange('2026-02'), { from: '2026-02-01', to: '2026-02-28' })
  assert.deepEqual(periodRange('2028-02'), { from: '2028-02-01', to: '2028-02-29' })
  assert.deepEqual(periodRange('2026-Q4'), { from: '2026-10-01', to: '2026-12-31' })
  assert.deepEqual(periodRange('2026'), { from: '2026-01-01', to: '2026-12-31' })
  assert.equal(periodRange('2026-13'), null)
})
