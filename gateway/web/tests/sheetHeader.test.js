// Unit tests of reading an import file's header in the browser (src/sheetHeader.js).
// Run: npm test
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { csvHeader, decodeText, parseCsv, readSheetHeader, sniffDelimiter, suggestMapping } from '../src/sheetHeader.js'

const fileOf = (bytes, name) => ({ name, arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) })

test('CSV: quoted cells with delimiters, quotes and newlines stay one cell', () => {
  assert.deepEqual(parseCsv('a,"b, c","say ""hi""","two\nlines"\r\nx,y\n'), [['a', 'b, c', 'say "hi"', 'two\nlines'], ['x', 'y']])
})

test('CSV: the delimiter is sniffed from the first lines', () => {
  assert.equal(sniffDelimiter('company;phone;email\nAcme;1;a@b.c\n'), ';')
  assert.equal(sniffDelimiter('company\tphone\nAcme\t1\n'), '\t')
  assert.equal(sniffDelimiter('company,notes\nAcme,"a; b; c"\n'), ',')
})

test('CSV: header names are trimmed and blank lines are not samples', () => {
  const { header, samples } = csvHeader(' Company , Phone\n\nAcme,1\nBeta,2\n')
  assert.deepEqual(header, ['Company', 'Phone'])
  assert.deepEqual(samples, [['Acme', '1'], ['Beta', '2']])
})

test('CSV text is UTF-8 with or without BOM, else GB18030', async () => {
  assert.equal(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])), 'a')
  const gbk = new Uint8Array([0xb9, 0xab, 0xcb, 0xbe]) // 公司 in GBK
  assert.equal(decodeText(gbk), '公司')
  const { format, header } = await readSheetHeader(fileOf(new TextEncoder().encode('公司,电话\nA,1\n'), 'leads.csv'))
  assert.equal(format, 'csv')
  assert.deepEqual(header, ['公司', '电话'])
})

test('XLSX: the first sheet\'s header and sample rows, numbers as Excel shows them', async () => {
  const bytes = new Uint8Array(readFileSync(new URL('./fixtures/leads.xlsx', import.meta.url)))
  const { format, header, samples } = await readSheetHeader(fileOf(bytes, 'leads.xlsx'))
  assert.equal(format, 'xlsx')
  assert.deepEqual(header, ['Company', 'Contact', 'Phone', 'E-mail', '渠道'])
  assert.deepEqual(samples[0], ['Acme & Sons', 'Ann', '13812348000', 'ann@example.com', 'web'])
  assert.deepEqual(samples[1].slice(0, 3), ['北京公司', '王伟', '010-1234'])
  assert.equal(samples.length, 2) // the empty row is skipped
})

test('a zip that is not a workbook is refused', async () => {
  await assert.rejects(readSheetHeader(fileOf(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0]), 'x.xlsx')), /not_a_workbook/)
})

test('mapping suggestions match column names in English and Chinese, each field once', () => {
  assert.deepEqual(suggestMapping(['Company', 'Contact', 'Mobile', 'Tel', '邮箱', '渠道', 'Whatever']),
    { Company: 'company', Contact: 'contact_name', Mobile: 'phone', 邮箱: 'email', 渠道: 'channel' })
})
