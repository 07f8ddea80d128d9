// What each predefined dashboard shows (GET /dashboards/<kind>): its headline figures from `totals`, its
// charts and tables of rows, with how each figure is written. The page draws them all the same way.
export const DASHBOARD_KINDS = ['acquisition', 'sales', 'service', 'pool', 'executive']
// The executive dashboard is for those who oversee the business (reporting api.py EXECUTIVE_ROLES).
export const EXECUTIVE_ROLES = ['admin', 'executive', 'sales_manager']
export const NAMED_PERIODS = ['this_month', 'last_month', 'this_quarter', 'last_quarter', 'this_year', 'last_year', 'last_7_days', 'last_30_days']
export const SCOPES = ['own', 'team', 'all']

const ACQUISITION = ['leads_acquired', 'leads_claimed', 'leads_converted', 'conversion_rate', 'customers_created',
  'opportunities_opened', 'deals_won', 'won_amount', 'tickets_opened']
const SALES = ['follow_ups', 'pipeline_count', 'pipeline_amount', 'won_count', 'won_amount', 'planned_amount',
  'collected_amount', 'collection_rate', 'overdue_count', 'overdue_amount', 'invoiced_amount', 'refunded_amount']
const SERVICE = ['opened', 'resolved', 'open_now', 'avg_first_response_minutes', 'avg_resolution_minutes', 'sla_compliance', 'avg_rating', 'rated']

// How a figure is written: integer, money, rate (0..1), number (2 places).
export const FIGURE_FORMATS = {
  conversion_rate: 'rate', collection_rate: 'rate', sla_compliance: 'rate', expense_to_revenue: 'rate',
  won_amount: 'money', pipeline_amount: 'money', planned_amount: 'money', collected_amount: 'money', overdue_amount: 'money',
  invoiced_amount: 'money', refunded_amount: 'money', amount: 'money', revenue: 'money', payments_collected: 'money',
  sales_expenses: 'money', target: 'money', actual: 'money',
  avg_first_response_minutes: 'number', avg_resolution_minutes: 'number', avg_rating: 'number', average_hours: 'number',
  achievement: 'rate',
}

export const DASHBOARDS = {
  acquisition: {
    kpis: ACQUISITION,
    charts: [{ rows: 'channels', category: 'channel', values: ['leads_acquired', 'leads_claimed', 'leads_converted'], type: 'bar', title: 'byChannel' }],
    tables: [
      { rows: 'channels', first: ['channel'], columns: ACQUISITION, title: 'byChannel' },
      { rows: 'campaigns', first: ['channel', 'campaign'], columns: ACQUISITION, title: 'byCampaign' },
    ],
  },
  sales: {
    kpis: SALES,
    charts: [
      { rows: 'reps', category: 'display_name', values: ['won_amount', 'collected_amount'], type: 'bar', title: 'byRep' },
      { rows: 'totals.pipeline', category: 'stage', values: ['amount'], type: 'funnel', title: 'pipeline' },
    ],
    tables: [
      { rows: 'reps', first: ['display_name'], columns: SALES, title: 'byRep' },
      { rows: 'teams', first: ['name'], columns: SALES, title: 'byTeam' },
    ],
  },
  service: {
    kpis: SERVICE,
    charts: [
      { rows: 'by_channel', category: 'channel', values: ['opened', 'resolved'], type: 'bar', title: 'byChannel' },
      { rows: 'by_priority', category: 'priority', values: ['opened'], type: 'pie', title: 'byPriority' },
    ],
    tables: [
      { rows: 'by_channel', first: ['channel'], columns: SERVICE, title: 'byChannel' },
      { rows: 'by_priority', first: ['priority'], columns: SERVICE, title: 'byPriority' },
    ],
  },
  pool: {
    kpis: ['entries', 'exits'],
    extraKpis: [['claim_to_first_follow_up.leads', 'claimed_followed_up'], ['claim_to_first_follow_up.average_hours', 'average_hours']],
    charts: [{ rows: 'pools', category: 'pool_id', values: ['entries', 'exits'], type: 'bar', title: 'byPool' }],
    tables: [
      { rows: 'pools', first: ['pool_id'], columns: ['entries', 'exits'], title: 'byPool' },
      { rows: 'reasons', first: ['kind', 'reason'], columns: ['count'], title: 'reasons' },
    ],
  },
  executive: {
    comparisons: ['revenue', 'payments_collected', 'sales_expenses', 'expense_to_revenue'],
    tables: [
      { rows: 'targets.reps', first: ['name', 'metric', 'period'], columns: ['target', 'actual', 'achievement'], title: 'targetsReps' },
      { rows: 'targets.teams', first: ['name', 'metric', 'period'], columns: ['target', 'actual', 'achievement'], title: 'targetsTeams' },
      { rows: 'targets.departments', first: ['name', 'metric', 'period'], columns: ['target', 'actual', 'achievement'], title: 'targetsDepartments' },
    ],
  },
}

/** The value at a dotted path of a response ("totals.pipeline"). */
export function pick(data, path) {
  return String(path).split('.').reduce((value, key) => (value == null ? undefined : value[key]), data)
}

/** The query of a dashboard: a named period, or from/to days; and a scope when one is chosen. */
export function dashboardQuery({ period, from, to, scope }) {
  const query = period === 'custom' ? { from, to } : { period }
  if (scope) query.scope = scope
  return query
}

/** A dashboard chart as a report result, so it is drawn like a report's chart. */
export function chartResult(spec, rows, labelOf = (key) => key, categoryText = (value) => value) {
  return {
    rows: (rows || []).map((row) => ({ ...row, [spec.category]: categoryText(row[spec.category], spec.category, row) })),
    chart: {
      type: spec.type, category: spec.category, values: spec.values,
      labels: Object.fromEntries(spec.values.map((key) => [key, labelOf(key)])),
    },
  }
}
