// Money as the API sends it: decimal strings with at most two decimals ("12000.50", "-300.00").
// Sums and checks run on whole cents as BigInt, so no amount ever passes through a float:
// 0.1 + 0.2 is "0.30" here, and a plan adds up to its contract to the cent or it does not.

// What the API accepts for an amount (sales deal_schemas AMOUNT): digits, at most two decimals.
const AMOUNT_INPUT = /^\d{1,16}(\.\d{1,2})?$/
// What the API sends back: the same, possibly negative (refunds, red-letter invoices).
const AMOUNT_VALUE = /^-?\d+(\.\d{1,2})?$/

/** True when `text` is an amount the API accepts as input (not negative, at most two decimals). */
export function isAmount(text) {
  return typeof text === 'string' && AMOUNT_INPUT.test(text.trim())
}

/** Cents of a decimal string (or a BigInt of cents); null when it is not an amount. */
export function toCents(value) {
  if (typeof value === 'bigint') return value
  if (value === null || value === undefined) return null
  const text = String(value).trim()
  if (!AMOUNT_VALUE.test(text)) return null
  const negative = text.startsWith('-')
  const [whole, fraction = ''] = text.replace('-', '').split('.')
  const cents = BigInt(whole) * 100n + BigInt((fraction + '00').slice(0, 2))
  return negative ? -cents : cents
}

/** The decimal string of a number of cents: 123456n -> "1234.56". */
export function fromCents(cents) {
  const negative = cents < 0n
  const abs = negative ? -cents : cents
  const whole = abs / 100n
  const fraction = String(abs % 100n).padStart(2, '0')
  return `${negative ? '-' : ''}${whole}.${fraction}`
}

/** The sum of amounts as a decimal string; amounts that are not amounts (blank, text) count as zero. */
export function sum(values) {
  return fromCents((values || []).reduce((total, value) => total + (toCents(value) ?? 0n), 0n))
}

/** a - b as a decimal string (null when either is not an amount). */
export function subtract(a, b) {
  const x = toCents(a)
  const y = toCents(b)
  return x === null || y === null ? null : fromCents(x - y)
}

/** -1, 0 or 1 as a < b, a = b, a > b (null when either is not an amount). */
export function compare(a, b) {
  const x = toCents(a)
  const y = toCents(b)
  if (x === null || y === null) return null
  return x < y ? -1 : x > y ? 1 : 0
}

/** True when the amount is more than zero. */
export function isPositive(value) {
  const cents = toCents(value)
  return cents !== null && cents > 0n
}

/**
 * `total` split into `count` parts to the cent, the first parts carrying the odd cents:
 * split("100.00", 3) -> ["33.34", "33.33", "33.33"]; the parts always add up to the total.
 */
export function split(total, count) {
  const cents = toCents(total)
  if (cents === null || cents < 0n || !Number.isInteger(count) || count < 1) return []
  const n = BigInt(count)
  const base = cents / n
  const extra = Number(cents % n)
  return Array.from({ length: count }, (_, i) => fromCents(base + (i < extra ? 1n : 0n)))
}

/**
 * The live check of a payment plan against its contract's amount.
 * Returns {total, difference (contract - total), matches, problems: {"<index>": "amount"}}:
 * `matches` only when every installment has a valid positive amount and they add up exactly.
 */
export function planCheck(amounts, contractAmount) {
  const problems = {}
  ;(amounts || []).forEach((amount, i) => {
    if (!isAmount(amount) || !isPositive(amount)) problems[String(i)] = 'amount'
  })
  const total = sum((amounts || []).filter((amount) => isAmount(amount)))
  const difference = subtract(contractAmount, total)
  const matches = (amounts || []).length > 0 && Object.keys(problems).length === 0 && compare(total, contractAmount) === 0
  return { total, difference, matches, problems }
}

/**
 * The checks of a payment's allocations before it is sent, the same as the server's:
 * each allocation at most its installment's due, together exactly the payment's amount.
 * installments: [{id, due}], allocations: {installmentId: "amount"} (blank: nothing on it).
 * Returns {allocated, problems: {installmentId: "beyondDue" | "amount", total: "mustEqualAmount"}}.
 */
export function allocationCheck(amount, allocations, installments) {
  const problems = {}
  const given = []
  for (const installment of installments || []) {
    const value = String(allocations?.[installment.id] ?? '').trim()
    if (!value) continue
    if (!isAmount(value)) problems[installment.id] = 'amount'
    else if (compare(value, installment.due) === 1) problems[installment.id] = 'beyondDue'
    else given.push(value)
  }
  const allocated = sum(given)
  if (given.length > 0 && isAmount(amount) && compare(allocated, amount) !== 0) problems.total = 'mustEqualAmount'
  return { allocated, problems }
}

/** The allocations of a form as the API wants them: [{installment_id, amount}] for the non-blank ones. */
export function allocationPayload(allocations, installments) {
  return (installments || [])
    .map((installment) => ({ installment_id: installment.id, amount: String(allocations?.[installment.id] ?? '').trim() }))
    .filter((allocation) => allocation.amount && isPositive(allocation.amount))
}

const RECEIVED = 'received'
const PAYMENT_PENDING = 'pending_approval'
// A red-letter invoice is issued with a negative amount: a reversed invoice and its reversal net to zero.
const COUNTED_INVOICES = ['issued', 'reversed']

/**
 * The money figures of a contract from its installments, payments and invoices:
 * {amount, planned, received, pendingApproval, outstanding, invoiced}; outstanding is amount - received.
 * A refund's negative payment lowers what was received; a red-letter invoice lowers what was invoiced.
 */
export function contractFigures(contract, installments, payments, invoices) {
  const amount = contract?.amount ?? '0'
  const live = (installments || []).filter((i) => i.status !== 'void')
  const received = sum((payments || []).filter((p) => p.status === RECEIVED).map((p) => p.amount))
  return {
    amount,
    planned: sum(live.map((i) => i.planned_amount)),
    received,
    pendingApproval: sum((payments || []).filter((p) => p.status === PAYMENT_PENDING).map((p) => p.amount)),
    outstanding: subtract(amount, received),
    invoiced: sum((invoices || []).filter((i) => COUNTED_INVOICES.includes(i.status)).map((i) => i.amount)),
  }
}
