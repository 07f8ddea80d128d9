// Unit tests of the service desk helpers: countdowns, SLA tones between reads, queue views and order, public
// threads, return-visit views, SLA escalation levels in the policy editor.
// Run: npm test
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  allowedMoves, breachingSoon, escalationLevels, escalationRows, followLink, formatCountdown, inQueue, metricTone,
  nearestMetric, parseJson, parseTags, publicEntries, queueQuery, returnVisitQuery, slaMetrics, sortByDeadline,
  ticketsPath, validateRequest, visitOverdue,
} from '../src/tickets.js'

const NOW = Date.parse('2026-12-07T04:00:00Z')
const at = (minutesFromNow) => new Date(NOW + minutesFromNow * 60_000).toISOString()

test('a countdown shows its two largest units, with a minus once the deadline has passed', () => {
  assert.equal(formatCountdown((2 * 24 * 3600 + 3 * 3600 + 59) * 1000), '2d 3h')
  assert.equal(formatCountdown((3 * 3600 + 5 * 60 + 40) * 1000), '3h 05m')
  assert.equal(formatCountdown((12 * 60 + 30) * 1000), '12m 30s')
  assert.equal(formatCountdown(45_400), '45s')
  assert.equal(formatCountdown(-(65 * 60) * 1000), '-1h 05m')
  assert.equal(formatCountdown(null), '—')
})

test('a running metric turns amber at its warning instant and red at its deadline, between two reads', () => {
  const metric = { state: 'running', deadline: at(30), warning_at: at(10) }
  assert.equal(metricTone(metric, NOW), 'ok')
  assert.equal(metricTone(metric, NOW + 10 * 60_000), 'warning')
  assert.equal(metricTone(metric, NOW + 30 * 60_000), 'breached')
})

test('a met or paused metric keeps its state whatever the clock says', () => {
  assert.equal(metricTone({ state: 'met', deadline: at(-60) }, NOW), 'met')
  assert.equal(metricTone({ state: 'paused', deadline: at(-60) }, NOW), 'paused')
  assert.equal(metricTone({ state: 'breached', deadline: at(60) }, NOW), 'breached')
  assert.equal(metricTone({ state: 'warning', deadline: at(60) }, NOW), 'warning')
})

test('the SLA object is read whether its metrics are keyed by name or listed', () => {
  const keyed = { policy_id: 'p', first_response: { state: 'met', deadline: at(5) }, resolution: { state: 'running', deadline: at(90) } }
  assert.deepEqual(slaMetrics(keyed).map((m) => m.name), ['first_response', 'resolution'])
  const listed = { metrics: [{ metric: 'resolution', state: 'running', deadline: at(90) }] }
  assert.deepEqual(slaMetrics(listed).map((m) => m.name), ['resolution'])
  assert.deepEqual(slaMetrics(null), [])
})

test('the nearest deadline is that of a running metric, never of one already met', () => {
  const sla = { metrics: [
    { name: 'first_response', state: 'met', deadline: at(1) },
    { name: 'resolution', state: 'running', deadline: at(300) },
    { name: 'next_response', state: 'warning', deadline: at(20) },
  ] }
  assert.equal(nearestMetric(sla).name, 'next_response')
  assert.equal(nearestMetric({ metrics: [{ name: 'resolution', state: 'paused', deadline: at(1) }] }), null)
})

test('queues sort by the nearest deadline; tickets without a running clock go last', () => {
  const tickets = [
    { id: 'none', opened_at: at(-5), sla: null },
    { id: 'later', sla: { metrics: [{ name: 'resolution', state: 'running', deadline: at(120) }] } },
    { id: 'breached', sla: { metrics: [{ name: 'first_response', state: 'breached', deadline: at(-10) }] } },
    { id: 'soon', sla: { metrics: [{ name: 'first_response', state: 'running', deadline: at(15) }] } },
  ]
  assert.deepEqual(sortByDeadline(tickets).map((t) => t.id), ['breached', 'soon', 'later', 'none'])
  assert.equal(breachingSoon(tickets[3], NOW, 30 * 60_000), true)
  assert.equal(breachingSoon(tickets[1], NOW, 30 * 60_000), false)
})

test('the public view of a thread never holds an internal note', () => {
  const entries = [
    { kind: 'public_reply', public: true, body: 'hello' },
    { kind: 'internal_note', public: false, body: 'secret' },
    { kind: 'internal_note', body: 'secret without a flag' },
  ]
  assert.deepEqual(publicEntries(entries).map((e) => e.body), ['hello'])
})

test('status moves come from the read when the server lists them, else from the transition table', () => {
  assert.deepEqual(allowedMoves({ status: 'closed', allowed_transitions: ['reopened'] }), ['reopened'])
  assert.ok(allowedMoves({ status: 'open' }).includes('resolved'))
  assert.ok(!allowedMoves({ status: 'closed' }).includes('open'))
  assert.deepEqual(allowedMoves(null), [])
})

test('queue views ask the server for open tickets, the new view for new ones, with every tag typed', () => {
  assert.deepEqual(queueQuery('mine'), { open: true, assignee_id: 'me' })
  assert.deepEqual(queueQuery('new'), { status: ['new'] })
  assert.deepEqual(queueQuery('unassigned'), { open: true, unassigned: true })
  assert.deepEqual(queueQuery('group', { groupId: 'g1' }), { open: true, group_id: 'g1' })
  assert.deepEqual(queueQuery('open', { tags: ['vip', 'billing'] }), { open: true, tag: ['vip', 'billing'] })
  assert.deepEqual(parseTags(' vip , billing,, vip,key account '), ['vip', 'billing', 'key account'])
  assert.deepEqual(parseTags(''), [])
})

test('list values become repeated parameters and empty ones are left out', () => {
  assert.equal(ticketsPath({ status: ['new', 'open'], tag: ['a b'], q: '', open: true, limit: 200 }),
    '/tickets?status=new&status=open&tag=a+b&open=true&limit=200')
  assert.equal(ticketsPath({ q: '', tag: [] }), '/tickets')
})

test('only "breaching soon" is judged in the browser, from the SLA clock', () => {
  assert.equal(inQueue('open', { status: 'open' }, NOW), true)
  const soon = { status: 'open', sla: { first_response: { state: 'running', deadline: at(10) } } }
  const later = { status: 'open', sla: { first_response: { state: 'running', deadline: at(600) } } }
  assert.equal(inQueue('breaching', soon, NOW), true)
  assert.equal(inQueue('breaching', later, NOW), false)
})

test('a JSON document that does not parse says why', () => {
  assert.deepEqual(parseJson('{"all": []}'), { value: { all: [] } })
  assert.ok(parseJson('{all: }').error)
  assert.equal(parseJson('  ').error, 'empty')
})

test('a public request needs a name, a valid email, a subject and a description within their sizes', () => {
  assert.deepEqual(validateRequest({ name: 'A', email: 'a@example.com', subject: 'S', description: 'D' }), {})
  const errors = validateRequest({ name: ' ', email: 'not-an-email', subject: 'x'.repeat(201), description: '' })
  assert.deepEqual(errors, { name: 'required', email: 'email', subject: 'tooLong', description: 'required' })
})

test('the follow link carries the acknowledgement number and the token, escaped', () => {
  assert.equal(followLink('https://crm.example', 'SD-2026-000123', 'a/b+c'), 'https://crm.example/request/SD-2026-000123?token=a%2Fb%2Bc')
})

test('return-visit views ask for the visits to do, the overdue ones or the done ones, the caller\'s own if asked', () => {
  assert.deepEqual(returnVisitQuery('due'), { status: 'scheduled' })
  assert.deepEqual(returnVisitQuery('overdue', { now: NOW, mine: true }),
    { status: 'scheduled', due_before: '2026-12-07T04:00:00.000Z', assignee_id: 'me' })
  assert.deepEqual(returnVisitQuery('done'), { status: 'completed' })
})

test('a visit is overdue once its time passed, while it is still to do', () => {
  assert.equal(visitOverdue({ status: 'scheduled', due_at: at(-1) }, NOW), true)
  assert.equal(visitOverdue({ status: 'scheduled', due_at: at(5) }, NOW), false)
  assert.equal(visitOverdue({ status: 'completed', due_at: at(-60) }, NOW), false)
})

test('escalation levels go to the policy editor and back unchanged, a breach level without a percentage', () => {
  const levels = [
    { at: 75, target: 'resolution', actions: ['notify_team_lead', 'raise_priority'] },
    { at: 'breach', target: 'first_response', actions: ['notify_assignee', 'notify_manager', 'reassign_to_group:g2'] },
  ]
  const rows = escalationRows(levels)
  assert.deepEqual(rows[1], { target: 'first_response', atBreach: true, percent: 100,
    notify: ['notify_assignee', 'notify_manager'], raise: false, groupId: 'g2' })
  assert.deepEqual(escalationLevels(rows), levels)
  assert.deepEqual(escalationLevels([{ ...rows[0], percent: '' }])[0].at, null)
})
