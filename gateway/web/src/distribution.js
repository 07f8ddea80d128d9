// A lead pool's auto-distribution rule (rules.distribution) as the pool form edits it, and back.
// The leads service checks the same things when the pool is saved (services/leads/leads/distribution_rules.py):
//   {strategy: none|round_robin|least_loaded|capacity_weighted|by_market,
//    user_ids: null (every rep the pool admits) | [ids], capacities: {user_id: n}, default_capacity: n | null}
// Public pools refuse any strategy but none, so they always send null (no rule).

export const STRATEGIES = ['none', 'round_robin', 'least_loaded', 'capacity_weighted', 'by_market']

/** The form's state for a saved rule (null or undefined: no rule). Numbers become strings, '' for none. */
export function distributionForm(rule) {
  const capacities = {}
  for (const [id, n] of Object.entries(rule?.capacities || {})) capacities[id] = String(n)
  return {
    strategy: STRATEGIES.includes(rule?.strategy) ? rule.strategy : 'none',
    everyRep: !Array.isArray(rule?.user_ids),
    user_ids: Array.isArray(rule?.user_ids) ? [...rule.user_ids] : [],
    capacities,
    default_capacity: rule?.default_capacity === null || rule?.default_capacity === undefined ? '' : String(rule.default_capacity),
  }
}

function count(value) {
  if (value === '' || value === null || value === undefined) return null
  const n = Number(value)
  return Number.isInteger(n) && n >= 0 ? n : NaN
}

/** Problems with the form as {key: code}; keys are those of the server's errors under rules.distribution. */
export function distributionProblems(form, kind) {
  const problems = {}
  if (kind !== 'lead' || form.strategy === 'none') return problems
  if (!form.everyRep && form.user_ids.length === 0) problems.user_ids = 'repNeeded'
  if (Number.isNaN(count(form.default_capacity))) problems.default_capacity = 'wholeNumberOrEmpty'
  const listed = form.everyRep ? null : form.user_ids
  for (const [id, value] of Object.entries(form.capacities)) {
    if ((!listed || listed.includes(id)) && Number.isNaN(count(value))) problems[`capacities.${id}`] = 'wholeNumberOrEmpty'
  }
  if (form.strategy === 'capacity_weighted' && count(form.default_capacity) === null) {
    const withoutCapacity = !listed || listed.some((id) => count(form.capacities[id]) === null)
    if (withoutCapacity) problems.default_capacity = 'capacityNeeded'
  }
  return problems
}

/** The rule to save: null for no rule (a public pool, or strategy none). */
export function distributionPayload(form, kind) {
  if (kind !== 'lead' || form.strategy === 'none') return null
  const listed = form.everyRep ? null : [...form.user_ids]
  const capacities = {}
  for (const [id, value] of Object.entries(form.capacities)) {
    const n = count(value)
    if (n !== null && !Number.isNaN(n) && (!listed || listed.includes(id))) capacities[id] = n
  }
  return { strategy: form.strategy, user_ids: listed, capacities, default_capacity: count(form.default_capacity) }
}
