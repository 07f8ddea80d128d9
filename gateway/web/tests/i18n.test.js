// Both message files have the same keys, so no text falls back to English in Chinese (or is missing).
// Run: npm test
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'

const load = (name) => JSON.parse(readFileSync(new URL(`../src/i18n/${name}.json`, import.meta.url), 'utf-8'))
const keys = (messages, prefix = '') => Object.entries(messages).flatMap(([key, value]) =>
  value && typeof value === 'object' ? keys(value, `${prefix}${key}.`) : [`${prefix}${key}`])

test('en and zh-CN have the same message keys', () => {
  const en = new Set(keys(load('en')))
  const zh = new Set(keys(load('zh-CN')))
  assert.deepEqual([...en].filter((key) => !zh.has(key)), [], 'missing in zh-CN')
  assert.deepEqual([...zh].filter((key) => !en.has(key)), [], 'missing in en')
})
