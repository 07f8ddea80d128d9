// Unit tests of the live-events client (SSE parsing, dispatch, reconnect with Last-Event-ID).
// Run: npm test  (node's built-in test runner; no browser needed)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createSseParser, createLiveClient } from '../src/live.js'

function parseAll(chunks, opts) {
  const out = []
  const parser = createSseParser((m) => out.push(m), opts)
  for (const c of chunks) parser.push(c)
  return { out, parser }
}

test('parses id, event and JSON data; ignores comments', () => {
  const { out } = parseAll([': keepalive\n\nid: 7\nevent: leads.lead.claimed.v1\ndata: {"payload":{"lead_id":"a1"}}\n\n'])
  assert.equal(out.length, 1)
  assert.deepEqual(out[0], { id: '7', event: 'leads.lead.claimed.v1', data: '{"payload":{"lead_id":"a1"}}' })
})

test('handles CRLF, CR, chunks split anywhere and multi-line data', () => {
  const text = 'id: 1\r\nevent: x\r\ndata: a\r\ndata: b\r\n\r\nid: 2\rdata: c\r\r'
  for (let size = 1; size <= text.length; size++) {
    const chunks = []
    for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size))
    const { out } = parseAll(chunks)
    assert.deepEqual(out, [
      { id: '1', event: 'x', data: 'a\nb' },
      { id: '2', event: 'message', data: 'c' },
    ], `chunk size ${size}`)
  }
})

test('keeps the last event id across messages and from the start value', () => {
  const { out, parser } = parseAll(['data: one\n\nid: 9\ndata: two\n\ndata: three\n\n'], { lastEventId: '5' })
  assert.deepEqual(out.map((m) => m.id), ['5', '9', '9'])
  assert.equal(parser.lastEventId, '9')
})

test('field without a space after the colon, and retry', () => {
  let retry = null
  const { out } = parseAll(['retry: 2500\nevent:e\ndata:x\n\n'], { onRetry: (ms) => { retry = ms } })
  assert.equal(retry, 2500)
  assert.deepEqual(out, [{ id: '', event: 'e', data: 'x' }])
})

function sseResponse(text, status = 200) {
  const body = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text))
      controller.close()
    },
  })
  return new Response(status === 200 ? body : null, { status, headers: { 'Content-Type': 'text/event-stream' } })
}

test('client dispatches envelopes, reconnects with Last-Event-ID and stops on 401', async () => {
  const requests = []
  const responses = [
    () => sseResponse('id: 41\nevent: leads.lead.created.v1\ndata: {"name":"leads.lead.created.v1","payload":{"lead_id":"L1"}}\n\n: keepalive\n\n'),
    () => sseResponse('id: 42\nevent: leads.lead.claimed.v1\ndata: {"name":"leads.lead.claimed.v1","payload":{"lead_id":"L1","owner_id":"u1"}}\n\n'),
    () => sseResponse('', 401),
  ]
  let unauthorized = 0
  const client = createLiveClient({
    tokenProvider: () => 'tok',
    onUnauthorized: () => { unauthorized++ },
    fetchImpl: async (url, init) => {
      requests.push({ url, headers: init.headers })
      return responses[requests.length - 1]()
    },
    minDelayMs: 1,
    maxDelayMs: 5,
  })
  const seen = []
  const opens = []
  client.on('leads.lead.created.v1', (env) => seen.push(['created', env.payload.lead_id]))
  client.on('leads.lead.claimed.v1', (env, meta) => seen.push(['claimed', env.payload.lead_id, meta.id]))
  client.onOpen((info) => opens.push(info.reconnected))
  client.start()
  for (let i = 0; i < 200 && unauthorized === 0; i++) await new Promise((r) => setTimeout(r, 5))

  assert.equal(unauthorized, 1)
  assert.equal(client.running, false)
  assert.equal(client.state.value, 'idle')
  assert.deepEqual(seen, [['created', 'L1'], ['claimed', 'L1', '42']])
  assert.deepEqual(opens, [false, true])
  assert.equal(requests[0].url, '/api/v1/live')
  assert.equal(requests[0].headers.Authorization, 'Bearer tok')
  assert.equal(requests[0].headers['Last-Event-ID'], undefined)
  assert.equal(requests[1].headers['Last-Event-ID'], '41')
  assert.equal(requests[2].headers['Last-Event-ID'], '42')
})

test('client backs off and keeps retrying after network errors', async () => {
  let calls = 0
  const client = createLiveClient({
    tokenProvider: () => 'tok',
    onUnauthorized: () => {},
    fetchImpl: async () => { calls++; throw new TypeError('network down') },
    minDelayMs: 1,
    maxDelayMs: 4,
  })
  client.start()
  for (let i = 0; i < 100 && calls < 4; i++) await new Promise((r) => setTimeout(r, 5))
  assert.ok(calls >= 4, `retried ${calls} times`)
  assert.equal(client.state.value, 'retrying')
  client.stop()
  assert.equal(client.state.value, 'idle')
})
