// useFormSubmit: one submission at a time, local checks before sending, and the server's refusal shown.
// Run: npm test
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { registerHooks } from 'node:module'

// The refusal texts come through src/i18n, which needs a browser; here it is a stand-in with no translations,
// so a refusal reads as the server's own message.
registerHooks({
  load(url, context, nextLoad) {
    if (!url.endsWith('/src/i18n/index.js')) return nextLoad(url, context)
    return { format: 'module', source: 'export const t = (key) => key\nexport const te = () => false\nexport const currentLocale = () => "en"\n', shortCircuit: true }
  },
})
const { useFormSubmit } = await import('../src/composables/useFormSubmit.js')

const refusal = (status, errors = {}) => Object.assign(new Error('Refused by the server'), { status, code: 'some_rule', errors })

test('field errors from the check stop the submission before anything is sent', async () => {
  const form = useFormSubmit({ invalidText: () => 'Fix the marked fields' })
  let sent = 0
  await form.submit(async () => { sent += 1 }, () => ({ name: 'Required' }))
  assert.equal(sent, 0)
  assert.deepEqual(form.errors.value, { name: 'Required' })
  assert.equal(form.formError.value, 'Fix the marked fields')
  assert.equal(form.saving.value, false)
})

test('a second submit while the first is being sent is ignored', async () => {
  const form = useFormSubmit()
  let release
  let sent = 0
  const first = form.submit(() => { sent += 1; return new Promise((resolve) => { release = resolve }) })
  assert.equal(form.saving.value, true)
  await form.submit(async () => { sent += 1 })
  release()
  await first
  assert.equal(sent, 1)
  assert.equal(form.saving.value, false)
})

test('a refusal shows its nested field errors flattened and its message, and a new submit clears them', async () => {
  const form = useFormSubmit()
  await form.submit(async () => { throw refusal(422, { installments: { 0: { amount: ['Too much'] } } }) })
  assert.deepEqual(form.errors.value, { 'installments.0.amount': 'Too much' })
  assert.equal(form.formError.value, 'Refused by the server')
  await form.submit(async () => {})
  assert.deepEqual(form.errors.value, {})
  assert.equal(form.formError.value, '')
})

test('a 412 goes to onStale when the form has one, and is shown like any refusal when it has not', async () => {
  const stale = []
  const reloading = useFormSubmit({ onStale: (err) => stale.push(err.status) })
  await reloading.submit(async () => { throw refusal(412) })
  assert.deepEqual(stale, [412])
  assert.equal(reloading.formError.value, '')
  const plain = useFormSubmit()
  await plain.submit(async () => { throw refusal(412) })
  assert.equal(plain.formError.value, 'Refused by the server')
})
