// The column names (and a few sample rows) of a CSV or XLSX file, read in the browser, so the import
// page can offer the column mapping before anything is uploaded. The server reads the whole file again
// with its own checks (leads/imports.py); this only has to agree with it on the header row:
//  - CSV: UTF-8 (BOM or not), else GB18030; the delimiter sniffed among , ; tab | (like csv.Sniffer).
//  - XLSX: a zip archive; the first worksheet's first row, shared strings and inline strings.
// No dependency: zip entries are inflated with the platform's DecompressionStream('deflate-raw').

const SAMPLE_ROWS = 3
const DELIMITERS = [',', ';', '\t', '|']

/** { format: 'csv'|'xlsx', header: [names], samples: [[cells]] } of a File/Blob, or throws Error(code). */
export async function readSheetHeader(file) {
  const bytes = new Uint8Array(await file.arrayBuffer())
  const isZip = bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04
  if (/\.xls[xm]$/i.test(file.name || '') || isZip) return { format: 'xlsx', ...(await xlsxHeader(bytes)) }
  return { format: 'csv', ...csvHeader(decodeText(bytes)) }
}

export function decodeText(bytes) {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return new TextDecoder('utf-8').decode(bytes.subarray(3))
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return new TextDecoder('gb18030').decode(bytes)
  }
}

/** The delimiter used most consistently in the first lines (ties: the order of DELIMITERS). */
export function sniffDelimiter(text) {
  const lines = text.slice(0, 8192).split(/\r\n|\n|\r/).filter((line) => line.trim()).slice(0, 5)
  let best = ','
  let bestScore = 0
  for (const delimiter of DELIMITERS) {
    const counts = lines.map((line) => splitRecord(line, delimiter).length - 1)
    if (!counts.length || counts[0] === 0) continue
    const consistent = counts.filter((n) => n === counts[0]).length
    const score = consistent * 1000 + counts[0]
    if (score > bestScore) {
      best = delimiter
      bestScore = score
    }
  }
  return best
}

function splitRecord(line, delimiter) {
  return parseCsv(line, delimiter, 1)[0] || []
}

/** The first `limit` records of CSV text (RFC 4180 quotes, quoted newlines). */
export function parseCsv(text, delimiter = ',', limit = Infinity) {
  const records = []
  let record = []
  let cell = ''
  let quoted = false
  let i = 0
  while (i < text.length && records.length < limit) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"'
        i += 2
        continue
      }
      if (ch === '"') quoted = false
      else cell += ch
      i += 1
      continue
    }
    if (ch === '"' && cell === '') {
      quoted = true
    } else if (ch === delimiter) {
      record.push(cell)
      cell = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i += 1
      record.push(cell)
      records.push(record)
      record = []
      cell = ''
    } else {
      cell += ch
    }
    i += 1
  }
  if (records.length < limit && (cell !== '' || record.length)) {
    record.push(cell)
    records.push(record)
  }
  return records
}

export function csvHeader(text) {
  const rows = parseCsv(text, sniffDelimiter(text), SAMPLE_ROWS + 1 + 20)
    .filter((row, index) => index === 0 || row.some((value) => value.trim()))
  const [header = [], ...rest] = rows
  return { header: header.map((name) => name.trim()), samples: rest.slice(0, SAMPLE_ROWS) }
}

// --- XLSX ------------------------------------------------------------------------------------

/** name -> {method, offset, compressedSize} from the zip's central directory. */
function zipEntries(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let end = -1
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i -= 1) {
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i
      break
    }
  }
  if (end < 0) throw new Error('not_a_workbook')
  const count = view.getUint16(end + 10, true)
  let at = view.getUint32(end + 16, true)
  const entries = new Map()
  const decoder = new TextDecoder('utf-8')
  for (let n = 0; n < count; n += 1) {
    if (view.getUint32(at, true) !== 0x02014b50) throw new Error('not_a_workbook')
    const method = view.getUint16(at + 10, true)
    const compressedSize = view.getUint32(at + 20, true)
    const nameLength = view.getUint16(at + 28, true)
    const extraLength = view.getUint16(at + 30, true)
    const commentLength = view.getUint16(at + 32, true)
    const localOffset = view.getUint32(at + 42, true)
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength))
    entries.set(name, { method, compressedSize, localOffset })
    at += 46 + nameLength + extraLength + commentLength
  }
  return { entries, view }
}

async function readEntry(bytes, zip, name) {
  const entry = zip.entries.get(name)
  if (!entry) return null
  const local = entry.localOffset
  if (zip.view.getUint32(local, true) !== 0x04034b50) throw new Error('not_a_workbook')
  const start = local + 30 + zip.view.getUint16(local + 26, true) + zip.view.getUint16(local + 28, true)
  const data = bytes.subarray(start, start + entry.compressedSize)
  if (entry.method === 0) return new TextDecoder('utf-8').decode(data)
  if (entry.method !== 8) throw new Error('not_a_workbook')
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream('deflate-raw'))
  return await new Response(stream).text()
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
function unescapeXml(text) {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, code) => {
    if (code[0] === '#') return String.fromCodePoint(code[1].toLowerCase() === 'x' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10))
    return ENTITIES[code] ?? whole
  })
}

/** Concatenated <t> texts of an XML fragment (a shared string or an inline string; runs included). */
function texts(fragment) {
  let out = ''
  for (const match of fragment.matchAll(/<(?:\w+:)?t(?:\s[^>]*)?>([\s\S]*?)<\/(?:\w+:)?t>/g)) out += match[1]
  return unescapeXml(out)
}

function columnIndex(reference) {
  const letters = /^[A-Z]+/.exec(reference || '')?.[0] || ''
  let index = 0
  for (const letter of letters) index = index * 26 + (letter.charCodeAt(0) - 64)
  return index - 1
}

function cellText(value) {
  // Excel stores numbers typed into a cell as floats: 13812348000 may come back as 1.3812348E10.
  if (/^-?\d+(\.\d+)?(E[+-]?\d+)?$/i.test(value)) {
    const number = Number(value)
    if (Number.isInteger(number) && Math.abs(number) < 1e21) return String(BigInt(number))
  }
  return value
}

function rowsOf(sheetXml, shared, limit) {
  const rows = []
  for (const rowMatch of sheetXml.matchAll(/<(?:\w+:)?row\b[^>]*?(?:\/>|>([\s\S]*?)<\/(?:\w+:)?row>)/g)) {
    const cells = []
    let next = 0
    for (const cellMatch of (rowMatch[1] || '').matchAll(/<(?:\w+:)?c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/(?:\w+:)?c>)/g)) {
      const attrs = cellMatch[1]
      const body = cellMatch[2] || ''
      const reference = /\br="([A-Z]+)\d*"/.exec(attrs)?.[1]
      const index = reference ? columnIndex(reference) : next
      const type = /\bt="(\w+)"/.exec(attrs)?.[1]
      const raw = /<(?:\w+:)?v>([\s\S]*?)<\/(?:\w+:)?v>/.exec(body)?.[1]
      let value = ''
      if (type === 's') value = shared[Number(raw)] ?? ''
      else if (type === 'inlineStr') value = texts(body)
      else if (raw !== undefined) value = type === 'b' ? (raw === '1' ? 'true' : 'false') : cellText(unescapeXml(raw))
      cells[index] = value.trim()
      next = index + 1
    }
    const row = Array.from(cells, (value) => value ?? '')
    if (rows.length === 0 || row.some(Boolean)) rows.push(row)
    if (rows.length >= limit) break
  }
  return rows
}

async function firstSheetName(bytes, zip) {
  const workbook = await readEntry(bytes, zip, 'xl/workbook.xml')
  const rels = await readEntry(bytes, zip, 'xl/_rels/workbook.xml.rels')
  const relId = workbook && /<(?:\w+:)?sheet\b[^>]*\br:id="([^"]+)"/.exec(workbook)?.[1]
  if (rels && relId) {
    for (const match of rels.matchAll(/<Relationship\b([^>]*)\/?>/g)) {
      if (new RegExp(`\\bId="${relId}"`).test(match[1])) {
        const target = /\bTarget="([^"]+)"/.exec(match[1])?.[1]
        if (target) return target.startsWith('/') ? target.slice(1) : `xl/${target}`
      }
    }
  }
  return 'xl/worksheets/sheet1.xml'
}

export async function xlsxHeader(bytes) {
  const zip = zipEntries(bytes)
  const sharedXml = (await readEntry(bytes, zip, 'xl/sharedStrings.xml')) || ''
  const shared = [...sharedXml.matchAll(/<(?:\w+:)?si>([\s\S]*?)<\/(?:\w+:)?si>/g)].map((m) => texts(m[1]))
  const sheetXml = await readEntry(bytes, zip, await firstSheetName(bytes, zip))
  if (sheetXml === null) throw new Error('not_a_workbook')
  const [header = [], ...rest] = rowsOf(sheetXml, shared, SAMPLE_ROWS + 1)
  return { header: header.map((name) => name.trim()), samples: rest }
}

// --- mapping suggestions -----------------------------------------------------------------------

// Lead field -> names a column of that field is often given (lower case, English and Chinese).
const SYNONYMS = {
  company: ['company', 'company name', 'organisation', 'organization', 'account', '公司', '公司名称', '企业', '企业名称', '客户名称'],
  contact_name: ['contact', 'contact name', 'contact_name', 'name', 'person', '联系人', '姓名', '联系人姓名'],
  phone: ['phone', 'telephone', 'tel', 'mobile', 'cell', 'phone number', '电话', '手机', '手机号', '联系电话'],
  email: ['email', 'e-mail', 'mail', 'email address', '邮箱', '电子邮件', '邮件'],
  channel: ['channel', 'source', 'lead source', '渠道', '来源'],
  region: ['region', 'area', 'city', 'province', '地区', '区域', '城市', '省份'],
  industry: ['industry', 'sector', '行业'],
  company_size: ['company size', 'company_size', 'size', 'employees', '规模', '公司规模', '人数'],
  campaign: ['campaign', '活动', '市场活动'],
  notes: ['notes', 'note', 'comment', 'comments', 'remarks', '备注', '说明'],
  tags: ['tags', 'tag', 'labels', '标签'],
}

/** column name -> lead field for the columns whose name says which field they hold (each field once). */
export function suggestMapping(header) {
  const mapping = {}
  const taken = new Set()
  for (const column of header) {
    const name = column.trim().toLowerCase().replace(/\s+/g, ' ')
    if (!name || column in mapping) continue
    const field = Object.keys(SYNONYMS).find((f) => !taken.has(f) && (f === name || SYNONYMS[f].includes(name)))
    if (field) {
      mapping[column] = field
      taken.add(field)
    }
  }
  return mapping
}
