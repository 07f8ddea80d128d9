// The pool form's auto-distribution rule: what it sends, and what it refuses before sending.
// Run: npm test
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { distributionForm, distributionPayload, distributionProblems } from '../src/distribution.js'

test('no rule, a public pool or strategy none all save as null', () => {
  assert.equal(distributionPayload(distributionForm(null), 'lead'), null)
  const rule = distributionForm({ strategy: 'round_robin', user_ids: null, capacities: {}, default_capacity: null })
  assert.equal(distributionPayload(rule, 'public'), null)
  assert.deepEqual(distributionProblems({ ...rule, everyRep: false, user_ids: [] }, 'public'), {})
  assert.equal(distributionPayload({ ...rule, strategy: 'none' }, 'lead'), null)
})

test('a saved rule comes back as it was', () => {
  const saved = { strategy: 'capacity_weighted', user_ids: ['u1', 'u2'], capacities: { u1: 5, u2: 0 }, default_capacity: null }
  const form = distributionForm(saved)
  assert.equal(form.everyRep, false)
  assert.deepEqual(distributionProblems(form, 'lead'), {})
  assert.deepEqual(distributionPayload(form, 'lead'), saved)
})

test('capacities of reps no longer listed are dropped, and empty ones mean no limit', () => {
  const form = distributionForm({ strategy: 'least_loaded', user_ids: ['u1'], capacities: {}, default_capacity: 3 })
  form.capacities = { u1: '', u2: '7' }
  assert.deepEqual(distributionPayload(form, 'lead'), { strategy: 'least_loaded', user_ids: ['u1'], capacities: {}, default_capacity: 3 })
  form.everyRep = true
  assert.deepEqual(distributionPayload(form, 'lead').capacities, { u2: 7 })
  assert.equal(distributionPayload(form, 'lead').user_ids, null)
})

test('the same mistakes the server refuses are caught first', () => {
  const form = distributionForm({ strategy: 'round_robin', user_ids: null })
  assert.deepEqual(distributionProblems({ ...form, everyRep: false, user_ids: [] }, 'lead'), { user_ids: 'repNeeded' })
  assert.deepEqual(distributionProblems({ ...form, default_capacity: '-1' }, 'lead'), { default_capacity: 'wholeNumberOrEmpty' })
  assert.deepEqual(distributionProblems({ ...form, capacities: { u1: '2.5' } }, 'lead'), { 'capacities.u1': 'wholeNumberOrEmpty' })
  const weighted = { ...form, strategy: 'capacity_weighted' }
  assert.deepEqual(distributionProblems(weighted, 'lead'), { default_capacity: 'capacityNeeded' })
  assert.deepEqual(distributionProblems({ ...weighted, default_capacity: '4' }, 'lead'), {})
  assert.deepEqual(distributionProblems({ ...weighted, everyRep: false, user_ids: ['u1'], capacities: { u1: '3' } }, 'lead'), {})
})
