// Unit tests of what the API client sends and reads back (src/apiWire.js): If-Match, JSON and multipart bodies.
// Run: npm test
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fetchOptions, ifMatchValue, readBody } from '../src/apiWire.js'

test('a version number is sent as the ETag the server gave it: the number in quotes', () => {
  assert.equal(ifMatchValue(7), '"7"')
  assert.equal(ifMatchValue(0), '"0"')
  assert.equal(ifMatchValue('12'), '"12"')
})

test('an ETag as read from a response is sent back unchanged', () => {
  assert.equal(ifMatchValue('"41"'), '"41"')
  assert.equal(ifMatchValue('W/"41"'), 'W/"41"')
})

test('a versioned write carries If-Match with the version the page read', () => {
  const options = fetchOptions('PATCH', { body: { name: 'Acme' }, ifMatch: 3 })
  assert.equal(options.method, 'PATCH')
  assert.equal(options.headers['If-Match'], '"3"')
  assert.equal(options.headers['Content-Type'], 'application/json')
  assert.equal(options.body, '{"name":"Acme"}')
})

test('a call without a version sends no If-Match', () => {
  assert.equal('If-Match' in fetchOptions('POST', { body: {} }).headers, false)
  assert.equal('If-Match' in fetchOptions('PUT', { body: {}, ifMatch: undefined }).headers, false)
  assert.equal('If-Match' in fetchOptions('PUT', { body: {}, ifMatch: null }).headers, false)
})

test('a FormData body goes out as it is, multipart, with If-Match and no JSON content type', () => {
  const form = new FormData()
  form.append('signed_on', '2026-12-15')
  const options = fetchOptions('POST', { body: form, ifMatch: '"5"' })
  assert.equal(options.body, form)
  assert.equal(options.headers['If-Match'], '"5"')
  assert.equal('Content-Type' in options.headers, false)
})

test('a read has no body and no content type; the token is sent as a bearer', () => {
  const options = fetchOptions('GET', { token: 'abc' })
  assert.equal(options.body, undefined)
  assert.equal('Content-Type' in options.headers, false)
  assert.equal(options.headers.Authorization, 'Bearer abc')
  assert.equal(options.headers.Accept, 'application/json')
  assert.equal(options.cache, 'no-store')
})

test('a response body is JSON, null when empty, and text that is not JSON becomes a message', async () => {
  assert.deepEqual(await readBody(new Response('{"id":"c1","version":2}', { status: 200 })), { id: 'c1', version: 2 })
  assert.equal(await readBody(new Response(null, { status: 204 })), null)
  assert.equal(await readBody(new Response('', { status: 200 })), null)
  assert.deepEqual(await readBody(new Response('Bad Gateway', { status: 502 })), { message: 'Bad Gateway' })
})
