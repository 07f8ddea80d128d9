// Pool helpers shared by the pages: which public pool a rep's returned lead goes to, and its reasons.
// Mirrors leads/pools.py public_pool_for: the first enabled, non-default public pool whose scope
// includes the user (by user id, team or role; market scopes cannot be checked here), else the default.
export const DEFAULT_RETURN_REASONS = ['not_interested', 'unreachable', 'no_budget', 'duplicate', 'other']

export function scopeIncludes(scope, user) {
  if (!scope || !user) return false
  const teams = (user.teams || []).map((team) => String(team.id ?? team))
  return (scope.user_ids || []).includes(String(user.id))
    || (scope.team_ids || []).some((id) => teams.includes(String(id)))
    || (scope.roles || []).some((role) => (user.roles || []).includes(role))
}

export function returnPoolFor(user, pools) {
  const publics = (pools || []).filter((p) => p.kind === 'public')
  const matching = publics
    .filter((p) => p.enabled && !p.is_default && scopeIncludes(p.scope, user))
    .sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)) || String(a.id).localeCompare(String(b.id)))
  return matching[0] || publics.find((p) => p.is_default) || null
}
