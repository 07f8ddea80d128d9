// Unit tests of the History panel's helpers (src/audit.js).
// Run: npm test
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { actionText, actorText, auditPath, nextOffset } from '../src/audit.js'

test('each record type has its trail beside the record', () => {
  assert.equal(auditPath('lead', 'L 1'), '/leads/L%201/audit')
  assert.equal(auditPath('customer', 'C1'), '/customers/C1/audit')
  assert.equal(auditPath('ticket', 'T1'), '/tickets/T1/audit')
  assert.throws(() => auditPath('pool', 'P1'))
})

test('an event reads as its aggregate and verb, a direct change as its verb', () => {
  assert.equal(actionText('leads.lead.claimed.v1'), 'lead claimed')
  assert.equal(actionText('sales.customer.owner_changed.v1'), 'customer owner changed')
  assert.equal(actionText('team_member_granted'), 'team member granted')
  assert.equal(actionText(null), '')
})

test('a person is named, a system job says which job', () => {
  assert.equal(actorText({ actor_kind: 'user', actor_id: 'u1', actor_name: 'Li Na' }), 'Li Na')
  assert.equal(actorText({ actor_kind: 'user', actor_id: 'u1', actor_name: null }), 'u1')
  const system = (job) => `System (${job})`
  assert.equal(actorText({ actor_kind: 'system', actor_id: 'system:leads.recycle', actor_name: 'leads.recycle' }, system),
    'System (leads.recycle)')
})

test('pages go on until the total is shown', () => {
  assert.equal(nextOffset({ items: [1, 2], offset: 0, total: 5 }), 2)
  assert.equal(nextOffset({ items: [1], offset: 4, total: 5 }), null)
  assert.equal(nextOffset({ items: [], offset: 0, total: 0 }), null)
})
