// Pure helpers of the pipeline pages (kanban, opportunity, customer page): stages, moving a card on the
// board, the forecast table, and deal lines in exact decimal arithmetic (money never goes through a float).
// Amounts are the API's decimal strings, such as "12000.50"; the server stays the judge of every total.

const AMOUNT = /^(\d{1,15})(?:\.(\d{1,2}))?$/
const QUANTITY = /^(\d{1,12})(?:\.(\d{1,2}))?$/

/** A decimal string with at most two decimals as a whole number of hundredths (BigInt); null if it is not one. */
export function toCents(text, pattern = AMOUNT) {
  const match = pattern.exec(String(text ?? '').trim())
  if (!match) return null
  return BigInt(match[1]) * 100n + BigInt((match[2] || '').padEnd(2, '0'))
}

/** Hundredths (BigInt) back to a decimal string with two decimals: 123456n → "1234.56". */
export function fromCents(cents) {
  const negative = cents < 0n
  const abs = negative ? -cents : cents
  const whole = abs / 100n
  const rest = String(abs % 100n).padStart(2, '0')
  return `${negative ? '-' : ''}${whole}.${rest}`
}

/** The sum of decimal strings, as a decimal string with two decimals (unparseable parts count as 0). */
export function addAmounts(...amounts) {
  return fromCents(amounts.reduce((sum, amount) => sum + (toCents(amount) ?? 0n), 0n))
}

/** Stages that are neither won nor lost, in pipeline order. */
export function openStages(stages) {
  return [...(stages || [])].filter((s) => !s.is_won && !s.is_lost).sort((a, b) => a.position - b.position)
}

/** The last stage before a deal is won or lost (where a deal waits for its outcome). */
export function lastOpenStage(stages) {
  const open = openStages(stages)
  return open.length ? open[open.length - 1] : null
}

/** What dropping a card on a stage means: a plain move, or closing it as won or lost (which asks first). */
export function dropOutcome(stage) {
  if (stage?.is_won) return 'won'
  if (stage?.is_lost) return 'lost'
  return 'move'
}

/** The stages a card may be moved to from the "move to stage" menu: every open stage but its own. */
export function moveTargets(stages, card) {
  return openStages(stages).filter((s) => s.key !== card?.stage)
}

function withoutCard(column, cardId) {
  const card = column.items.find((item) => item.id === cardId)
  if (!card) return { column, card: null }
  return {
    card,
    column: {
      ...column,
      count: Math.max(0, (column.count ?? column.items.length) - 1),
      items: column.items.filter((item) => item.id !== cardId),
      totals: adjustTotals(column.totals, card, -1n),
    },
  }
}

function adjustTotals(totals, card, sign) {
  const out = (totals || []).map((t) => ({ ...t }))
  let row = out.find((t) => t.currency === card.currency)
  if (!row) {
    row = { currency: card.currency, amount: '0.00' }
    out.push(row)
  }
  row.amount = fromCents((toCents(row.amount) ?? 0n) + sign * (toCents(card.amount) ?? 0n))
  return out.filter((t) => toCents(t.amount) !== 0n).sort((a, b) => a.currency.localeCompare(b.currency))
}

/** The board with one card taken out (it was won or lost: closed deals are not on the board). */
export function withCardRemoved(columns, cardId) {
  return (columns || []).map((column) => withoutCard(column, cardId).column)
}

/**
 * The board with a card moved to `toStage`, at the top of that column, counts and totals adjusted;
 * `updated` (the server's answer) replaces the card when given. Unchanged when the card is not found.
 */
export function withCardMoved(columns, cardId, toStage, updated = null) {
  const found = (columns || []).map((column) => withoutCard(column, cardId))
  const moving = found.find((f) => f.card)?.card
  if (!moving) return columns
  const card = { ...moving, ...(updated || {}), stage: updated?.stage ?? toStage }
  return found.map(({ column }) => {
    if (column.stage.key !== card.stage) return column
    return {
      ...column,
      count: (column.count ?? column.items.length) + 1,
      items: [card, ...column.items],
      totals: adjustTotals(column.totals, card, 1n),
    }
  })
}

/** The card with this id and the column it is in, or null. */
export function findCard(columns, cardId) {
  for (const column of columns || []) {
    const card = column.items.find((item) => item.id === cardId)
    if (card) return { card, column }
  }
  return null
}

/** "YYYY-MM" of a date, in UTC. */
export function monthOf(date) {
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`
}

/** The forecast window: this month and the `months - 1` after it, as {from, to} in YYYY-MM. */
export function forecastWindow(today = new Date(), months = 6) {
  const start = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1))
  const end = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + months - 1, 1))
  return { from: monthOf(start), to: monthOf(end) }
}

/**
 * Forecast rows (per month and currency, maybe per rep) as a table: one row per month, in order, with
 * per-currency {count, amount, weighted_amount}; rows of several reps in one month add up.
 */
export function forecastTable(rows) {
  const byMonth = new Map()
  const currencies = new Set()
  for (const row of rows || []) {
    currencies.add(row.currency)
    const month = byMonth.get(row.month) || {}
    const cell = month[row.currency] || { count: 0, amount: '0.00', weighted_amount: '0.00' }
    month[row.currency] = {
      count: cell.count + (row.count || 0),
      amount: addAmounts(cell.amount, row.amount),
      weighted_amount: addAmounts(cell.weighted_amount, row.weighted_amount),
    }
    byMonth.set(row.month, month)
  }
  const months = [...byMonth.keys()].sort()
  return { currencies: [...currencies].sort(), rows: months.map((month) => ({ month, cells: byMonth.get(month) })) }
}

function roundHalfEvenTo2(tenThousandths) {
  const negative = tenThousandths < 0n
  const abs = negative ? -tenThousandths : tenThousandths
  let cents = abs / 100n
  const rest = abs % 100n
  if (rest > 50n || (rest === 50n && cents % 2n === 1n)) cents += 1n
  return negative ? -cents : cents
}

/**
 * A deal line's total as the server computes it: quantity × unit price − discount, to the cent
 * (half to even). Null when a part is not a valid decimal.
 */
export function lineTotal(line) {
  const cents = lineCents(line)
  return cents === null ? null : fromCents(cents)
}

function lineCents({ quantity, unit_price: unitPrice, discount = '0' }) {
  const qty = toCents(quantity, QUANTITY)
  const price = toCents(unitPrice)
  const off = toCents(discount || '0')
  if (qty === null || price === null || off === null) return null
  return roundHalfEvenTo2(qty * price) - off
}

/**
 * Check the lines of the new-opportunity form against the catalogue (`products` by id): {errors, total,
 * currency}. errors maps "index.field" to a message key; the currency is that of the lines' products.
 */
export function checkLines(lines, products) {
  const errors = {}
  let total = 0n
  let currency = null
  ;(lines || []).forEach((line, index) => {
    const product = products[line.product_id]
    if (!product) {
      errors[`${index}.product_id`] = 'required'
      return
    }
    if (currency && product.currency !== currency) errors[`${index}.product_id`] = 'currencyMix'
    currency = currency || product.currency
    const qty = toCents(line.quantity, QUANTITY)
    if (qty === null || qty <= 0n) errors[`${index}.quantity`] = 'quantity'
    const off = toCents(line.discount || '0')
    if (off === null) errors[`${index}.discount`] = 'amount'
    const sum = lineCents({ quantity: line.quantity, unit_price: product.unit_price, discount: line.discount || '0' })
    if (sum !== null && sum < 0n) errors[`${index}.discount`] = 'discountTooLarge'
    if (sum !== null) total += sum
  })
  return { errors, total: fromCents(total), currency }
}

/** The body of PUT /opportunities/{id}/lines from the form's lines (prices come from the catalogue). */
export function linesPayload(lines) {
  return {
    lines: (lines || []).map((line) => ({
      product_id: line.product_id,
      quantity: String(line.quantity).trim(),
      discount: String(line.discount || '0').trim(),
    })),
  }
}

/** The lines of an order placed from a won deal: its product lines, or one line for the whole deal. */
export function orderLinesFrom(opportunity) {
  const lines = opportunity?.lines || []
  if (!lines.length) {
    return [{ sku: 'DEAL', description: opportunity.name, quantity: '1', unit_price: opportunity.amount }]
  }
  return lines.map((line) => {
    const out = { sku: line.sku, description: line.name, quantity: line.quantity, unit_price: line.unit_price }
    if (toCents(line.discount) > 0n) out.discount_amount = line.discount
    return out
  })
}
