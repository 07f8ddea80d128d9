// Unit tests of the pool form's recycle policy (src/recycle.js), the same rules as leads/recycling_rules.py.
// Run: npm test
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { policyForm, policyPayload, policyProblems } from '../src/recycle.js'

test('a policy round-trips through the form, overrides kept', () => {
  const policy = {
    combine: 'all', no_follow_up_days: { default: 7, by_level: {}, by_industry: { retail: 14 } }, not_converted_days: 30,
    warn_days_before: 0, tiers: [{ day: 5, action: 'remind_rep' }, { day: 6, action: 'reassign' }], max_locked_per_rep: 2,
  }
  assert.deepEqual(policyPayload(policyForm(policy)), policy)
  assert.equal(policyPayload(policyForm(null)), null)
})

test('an edited default keeps the overrides; an emptied condition is left out', () => {
  const form = policyForm({ combine: 'any', no_follow_up_days: { default: 7, by_industry: { retail: 14 } }, not_converted_days: 30 })
  form.no_follow_up_days = '3'
  form.not_converted_days = ''
  assert.deepEqual(policyPayload(form), {
    combine: 'any', no_follow_up_days: { default: 3, by_level: {}, by_industry: { retail: 14 } }, warn_days_before: 0, tiers: [], max_locked_per_rep: 0,
  })
})

test('the form finds what the API would refuse', () => {
  const form = policyForm(null)
  form.enabled = true
  assert.deepEqual(policyProblems(form), { no_follow_up_days: 'conditionNeeded' })
  form.no_follow_up_days = '0'
  assert.deepEqual(policyProblems(form), { no_follow_up_days: 'atLeastOne' })
  form.no_follow_up_days = '7'
  form.warn_days_before = '2'
  form.tiers = [{ day: '3', action: 'recycle' }, { day: '2', action: 'remind_rep' }]
  assert.deepEqual(policyProblems(form), { warn_days_before: 'warnOrTiers', 'tiers.1': 'tiersGoUp' })
  form.warn_days_before = '0'
  form.tiers = [{ day: '3', action: 'recycle' }, { day: '4', action: 'remind_rep' }]
  assert.deepEqual(policyProblems(form), { 'tiers.1': 'afterTerminal' })
  form.tiers = [{ day: '1', action: 'remind_rep' }]
  assert.deepEqual(policyProblems(form), {})
  form.enabled = false
  form.no_follow_up_days = 'x'
  assert.deepEqual(policyProblems(form), {})
})
