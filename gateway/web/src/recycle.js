// A pool's recycle policy (leads/recycling_rules.py) as the pool form edits it, and back.
// The form holds numbers as text (empty: the condition is not set); thresholds with per-level or
// per-industry overrides keep their overrides, only the default is edited here.

export const CONDITIONS = ['no_follow_up_days', 'not_converted_days']
export const TIER_ACTIONS = ['remind_rep', 'remind_rep_and_manager', 'reassign', 'recycle']
const TERMINAL = ['reassign', 'recycle']

/** The form state of a policy (null: recycling off). */
export function policyForm(policy) {
  const form = {
    enabled: !!policy, combine: policy?.combine || 'any', no_follow_up_days: '', not_converted_days: '',
    overrides: {}, warn_days_before: String(policy?.warn_days_before ?? 0), max_locked_per_rep: String(policy?.max_locked_per_rep ?? 0),
    tiers: (policy?.tiers || []).map((tier) => ({ day: String(tier.day), action: tier.action })),
  }
  for (const name of CONDITIONS) {
    const threshold = policy?.[name]
    if (threshold === null || threshold === undefined) continue
    if (typeof threshold === 'object') {
      form[name] = String(threshold.default ?? '')
      form.overrides[name] = { by_level: { ...(threshold.by_level || {}) }, by_industry: { ...(threshold.by_industry || {}) } }
    } else {
      form[name] = String(threshold)
    }
  }
  return form
}

const whole = (value) => (String(value ?? '').trim() === '' ? null : Number(value))
const isWhole = (n, min) => Number.isInteger(n) && n >= min

/** {key: message code} of what is wrong in the form (the API checks the same; see recycling_rules.py). */
export function policyProblems(form) {
  const problems = {}
  if (!form.enabled) return problems
  const set = CONDITIONS.filter((name) => whole(form[name]) !== null)
  if (set.length === 0) problems.no_follow_up_days = 'conditionNeeded'
  for (const name of set) if (!isWhole(whole(form[name]), 1)) problems[name] = 'atLeastOne'
  for (const name of ['warn_days_before', 'max_locked_per_rep']) {
    const n = whole(form[name]) ?? 0
    if (!isWhole(n, 0)) problems[name] = 'atLeastZero'
  }
  if (form.tiers.length && (whole(form.warn_days_before) ?? 0) > 0) problems.warn_days_before = 'warnOrTiers'
  form.tiers.forEach((tier, index) => {
    const day = whole(tier.day)
    const before = index > 0 ? form.tiers[index - 1] : null
    if (!isWhole(day, 1)) problems[`tiers.${index}`] = 'atLeastOne'
    else if (before && isWhole(whole(before.day), 1) && day <= whole(before.day)) problems[`tiers.${index}`] = 'tiersGoUp'
    else if (before && TERMINAL.includes(before.action)) problems[`tiers.${index}`] = 'afterTerminal'
  })
  return problems
}

/** The policy the API stores, or null for recycling off; call after policyProblems found nothing. */
export function policyPayload(form) {
  if (!form.enabled) return null
  const policy = { combine: form.combine }
  for (const name of CONDITIONS) {
    const days = whole(form[name])
    if (days === null) continue
    const overrides = form.overrides?.[name]
    const hasOverrides = overrides && (Object.keys(overrides.by_level).length || Object.keys(overrides.by_industry).length)
    policy[name] = hasOverrides ? { default: days, ...overrides } : days
  }
  policy.warn_days_before = whole(form.warn_days_before) ?? 0
  policy.tiers = form.tiers.map((tier) => ({ day: whole(tier.day), action: tier.action }))
  policy.max_locked_per_rep = whole(form.max_locked_per_rep) ?? 0
  return policy
}
