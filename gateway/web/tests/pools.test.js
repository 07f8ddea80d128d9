// Unit tests of the pool helpers: which public pool a returned lead goes to (mirrors leads/pools.py).
// Run: npm test
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { returnPoolFor, scopeIncludes } from '../src/pools.js'

const rep = { id: 'u1', roles: ['sales_rep'], teams: [{ id: 't-east', name: 'East' }] }
const pool = (id, extra) => ({ id, kind: 'public', enabled: true, is_default: false, created_at: '2025-01-01T00:00:00+00:00', scope: {}, ...extra })

test('a scope includes a user by id, by team or by role', () => {
  assert.equal(scopeIncludes({ user_ids: ['u1'] }, rep), true)
  assert.equal(scopeIncludes({ team_ids: ['t-east'] }, rep), true)
  assert.equal(scopeIncludes({ roles: ['sales_rep'] }, rep), true)
  assert.equal(scopeIncludes({ roles: ['sales_manager'], user_ids: ['u2'] }, rep), false)
})

test('returns go to the oldest enabled non-default public pool including the user, else the default', () => {
  const fallback = pool('default', { is_default: true, scope: { roles: ['sales_rep'] } })
  const newer = pool('newer', { created_at: '2025-02-01T00:00:00+00:00', scope: { user_ids: ['u1'] } })
  const older = pool('older', { scope: { team_ids: ['t-east'] } })
  const disabled = pool('disabled', { enabled: false, created_at: '2024-01-01T00:00:00+00:00', scope: { user_ids: ['u1'] } })
  const lead = { ...older, id: 'lead-pool', kind: 'lead' }
  assert.equal(returnPoolFor(rep, [fallback, newer, older, disabled, lead]).id, 'older')
  assert.equal(returnPoolFor(rep, [fallback, pool('other', { scope: { user_ids: ['u9'] } })]).id, 'default')
  assert.equal(returnPoolFor(rep, []), null)
})
