// Unit tests of the decimal-safe money arithmetic (src/money.js): whole cents, never floats.
// Run: npm test
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  allocationCheck, allocationPayload, compare, contractFigures, fromCents, isAmount, planCheck, split, subtract, sum, toCents,
} from '../src/money.js'

test('amounts are read and written as whole cents', () => {
  assert.equal(toCents('12000.50'), 1200050n)
  assert.equal(toCents('7.5'), 750n)
  assert.equal(toCents('3'), 300n)
  assert.equal(toCents('-300.01'), -30001n)
  assert.equal(toCents('1.234'), null)
  assert.equal(toCents('abc'), null)
  assert.equal(toCents(''), null)
  assert.equal(fromCents(1200050n), '12000.50')
  assert.equal(fromCents(-5n), '-0.05')
  assert.equal(fromCents(0n), '0.00')
})

test('sums are exact where floats are not', () => {
  assert.equal(0.1 + 0.2 === 0.3, false)
  assert.equal(sum(['0.1', '0.2']), '0.30')
  assert.equal(sum(['9999999999999999.99', '0.01']), '10000000000000000.00')
  assert.equal(sum(['100', '', 'x', '-40.5']), '59.50')
  assert.equal(subtract('50000.00', '49999.99'), '0.01')
  assert.equal(compare('10.10', '10.1'), 0)
  assert.equal(compare('10.09', '10.1'), -1)
})

test('only what the API accepts is an amount', () => {
  assert.equal(isAmount('12000.50'), true)
  assert.equal(isAmount(' 5 '), true)
  assert.equal(isAmount('-5'), false)
  assert.equal(isAmount('1.005'), false)
  assert.equal(isAmount('1e3'), false)
})

test('a split adds up to the total to the cent', () => {
  assert.deepEqual(split('100.00', 3), ['33.34', '33.33', '33.33'])
  assert.equal(sum(split('50000.01', 7)), '50000.01')
  assert.deepEqual(split('1', 0), [])
})

test('a plan matches its contract only when it adds up exactly', () => {
  assert.deepEqual(planCheck(['20000.00', '30000.00'], '50000.00'),
    { total: '50000.00', difference: '0.00', matches: true, problems: {} })
  const short = planCheck(['20000.00', '29999.99'], '50000.00')
  assert.equal(short.matches, false)
  assert.equal(short.difference, '0.01')
  const over = planCheck(['0.1', '0.2', '49999.71'], '50000.00')
  assert.equal(over.total, '50000.01')
  assert.equal(over.difference, '-0.01')
  const invalid = planCheck(['50000.00', '0', 'x'], '50000.00')
  assert.deepEqual(invalid.problems, { 1: 'amount', 2: 'amount' })
  assert.equal(invalid.matches, false)
  assert.equal(planCheck([], '0.00').matches, false)
})

test('allocations may not go beyond an installment\'s due and must add up to the payment', () => {
  const installments = [{ id: 'a', due: '20000.00' }, { id: 'b', due: '30000.00' }]
  assert.deepEqual(allocationCheck('5000', { a: '5000.00' }, installments), { allocated: '5000.00', problems: {} })
  assert.deepEqual(allocationCheck('25000', { a: '20000.01', b: '5000' }, installments).problems,
    { a: 'beyondDue', total: 'mustEqualAmount' })
  assert.deepEqual(allocationCheck('100', { a: '60', b: '30' }, installments).problems, { total: 'mustEqualAmount' })
  assert.deepEqual(allocationCheck('100', { a: '1.001' }, installments).problems, { a: 'amount' })
  assert.deepEqual(allocationCheck('100', {}, installments), { allocated: '0.00', problems: {} })
  assert.deepEqual(allocationPayload({ a: ' 60 ', b: '' }, installments), [{ installment_id: 'a', amount: '60' }])
})

test('a contract\'s figures count received payments, live installments and issued invoices', () => {
  const figures = contractFigures(
    { amount: '50000.00' },
    [{ planned_amount: '20000.00', status: 'partially_paid' }, { planned_amount: '30000.00', status: 'pending' },
      { planned_amount: '999.00', status: 'void' }],
    [{ amount: '5000.10', status: 'received' }, { amount: '100.00', status: 'pending_approval' },
      { amount: '7.00', status: 'rejected' }, { amount: '-1000.00', status: 'received' }],
    [{ amount: '3000.00', status: 'issued' }, { amount: '2000.00', status: 'reversed' },
      { amount: '-2000.00', status: 'issued', kind: 'red_letter' }, { amount: '500.00', status: 'pending_approval' }],
  )
  assert.deepEqual(figures, {
    amount: '50000.00', planned: '50000.00', received: '4000.10', pendingApproval: '100.00', outstanding: '45999.90', invoiced: '3000.00',
  })
})
