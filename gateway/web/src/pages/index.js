// The page registry: one entry per page (one .vue file per page in this folder).
// To add a page: create src/pages/MyPage.vue, add an entry here, add its nav label
// to src/i18n/en.json and src/i18n/zh-CN.json. The router, the side navigation and the
// role checks all read this list.
//
//   path      URL (client-side route; the gateway serves index.html for every non-API path)
//   name      route name, also used for data-testid="nav-<name>"
//   component lazy import of the page file
//   roles     roles that may open the page (omit for every signed-in user)
//   nav       { label: i18n key, icon: name in components/AppIcon.vue } to list it in the side navigation
//   startFor  roles whose start page this is (otherwise a user starts on their first nav entry)
//   public    true for pages shown without signing in

export const ROLES = ['admin', 'sales_manager', 'sales_rep', 'service_agent', 'service_manager', 'executive']

const SALES = ['admin', 'sales_manager', 'sales_rep']
const SALES_MANAGERS = ['admin', 'sales_manager']
const EVERYONE = ROLES
// Orders, contracts and their money: the sellers, and executives who oversee them.
const MONEY_READERS = ['admin', 'sales_manager', 'sales_rep', 'executive']
// The service desk: its agents and managers; managers also set SLA policies, calendars and workflow rules.
const SERVICE_DESK = ['admin', 'service_agent', 'service_manager']
const SERVICE_MANAGERS = ['admin', 'service_manager']

export const pages = [
  {
    path: '/login',
    name: 'login',
    component: () => import('./LoginPage.vue'),
    public: true,
  },
  {
    path: '/leads/pool',
    name: 'lead-pool',
    component: () => import('./LeadPoolPage.vue'),
    roles: SALES,
    nav: { label: 'nav.leadPool', icon: 'inbox' },
  },
  {
    path: '/leads/mine',
    name: 'my-leads',
    component: () => import('./MyLeadsPage.vue'),
    roles: SALES,
    nav: { label: 'nav.myLeads', icon: 'user-check' },
  },
  {
    path: '/agenda',
    name: 'agenda',
    component: () => import('./AgendaPage.vue'),
    roles: SALES,
    nav: { label: 'nav.agenda', icon: 'calendar' },
    startFor: ['sales_rep'],
  },
  {
    path: '/leads/search',
    name: 'lead-search',
    component: () => import('./LeadSearchPage.vue'),
    roles: SALES,
    nav: { label: 'nav.leadSearch', icon: 'search' },
  },
  {
    path: '/leads/:id',
    name: 'lead-detail',
    component: () => import('./LeadDetailPage.vue'),
    roles: SALES,
    props: true,
  },
  {
    path: '/admin/pools',
    name: 'pools',
    component: () => import('./PoolsPage.vue'),
    roles: SALES_MANAGERS,
    nav: { label: 'nav.pools', icon: 'sliders' },
  },
  {
    path: '/admin/markets',
    name: 'markets',
    component: () => import('./MarketsPage.vue'),
    roles: SALES_MANAGERS,
    nav: { label: 'nav.markets', icon: 'map' },
  },
  {
    path: '/admin/distribute',
    name: 'distribute',
    component: () => import('./DistributePage.vue'),
    roles: SALES_MANAGERS,
    nav: { label: 'nav.distribute', icon: 'send' },
  },
  {
    // The import API is for admins and sales managers (POST /leads/imports refuses reps).
    path: '/admin/imports',
    name: 'imports',
    component: () => import('./ImportPage.vue'),
    roles: SALES_MANAGERS,
    nav: { label: 'nav.imports', icon: 'upload' },
  },
  {
    path: '/admin/campaigns',
    name: 'campaigns',
    component: () => import('./CampaignsPage.vue'),
    roles: SALES_MANAGERS,
    nav: { label: 'nav.campaigns', icon: 'megaphone' },
  },
  {
    // Creating users and changing their roles, teams or active flag: the API allows admins only.
    path: '/admin/users',
    name: 'users',
    component: () => import('./UsersPage.vue'),
    roles: ['admin'],
    nav: { label: 'nav.users', icon: 'user-check' },
  },
  {
    path: '/customers',
    name: 'customers',
    component: () => import('./CustomersPage.vue'),
    roles: EVERYONE,
    nav: { label: 'nav.customers', icon: 'building' },
  },
  {
    path: '/customers/:id',
    name: 'customer-overview',
    component: () => import('./CustomerOverviewPage.vue'),
    roles: EVERYONE,
    props: true,
  },
  {
    path: '/pipeline',
    name: 'pipeline',
    component: () => import('./PipelinePage.vue'),
    roles: SALES,
    nav: { label: 'pipeline.nav', icon: 'chart' },
  },
  {
    path: '/opportunities/:id',
    name: 'opportunity',
    component: () => import('./OpportunityPage.vue'),
    roles: EVERYONE,
    props: true,
  },
  {
    path: '/contracts',
    name: 'contracts',
    component: () => import('./ContractsPage.vue'),
    roles: MONEY_READERS,
    nav: { label: 'contracts.nav', icon: 'file' },
  },
  {
    path: '/contracts/:id',
    name: 'contract',
    component: () => import('./ContractPage.vue'),
    roles: MONEY_READERS,
    props: true,
  },
  {
    path: '/orders/:id',
    name: 'order',
    component: () => import('./OrderPage.vue'),
    roles: MONEY_READERS,
    props: true,
  },
  {
    // Any role may be a step of an approval flow, so everyone has a to-do list.
    path: '/approvals',
    name: 'approvals',
    component: () => import('./ApprovalsPage.vue'),
    roles: EVERYONE,
    nav: { label: 'approvals.nav', icon: 'check' },
  },
  {
    // Managers see their teams' reps, admins and executives everyone, a rep their own row.
    path: '/team',
    name: 'team',
    component: () => import('./TeamPage.vue'),
    roles: ['admin', 'sales_manager', 'executive'],
    nav: { label: 'salesTeam.nav.team', icon: 'user-check' },
  },
  {
    // Everyone selling sees their targets reached; admins and managers also set them here.
    path: '/targets',
    name: 'targets',
    component: () => import('./TargetsPage.vue'),
    roles: ['admin', 'sales_manager', 'sales_rep', 'executive'],
    nav: { label: 'salesTeam.nav.targets', icon: 'chart' },
  },
  {
    // A seller records their expenses; managers approve their teams'; executives read them.
    path: '/expenses',
    name: 'expenses',
    component: () => import('./ExpensesPage.vue'),
    roles: ['admin', 'sales_manager', 'sales_rep', 'executive'],
    nav: { label: 'salesTeam.nav.expenses', icon: 'file' },
  },
  {
    // The service desk's queues: agents start here.
    path: '/tickets',
    name: 'tickets',
    component: () => import('./TicketQueuePage.vue'),
    roles: SERVICE_DESK,
    nav: { label: 'tickets.nav.queue', icon: 'ticket' },
    startFor: ['service_agent', 'service_manager'],
  },
  {
    // Sales reps read the tickets of their own customers (the service desk decides which).
    path: '/tickets/:id',
    name: 'ticket',
    component: () => import('./TicketPage.vue'),
    roles: [...SERVICE_DESK, 'sales_manager', 'sales_rep', 'executive'],
    props: true,
  },
  {
    // Return visits (回访) after resolved tickets: the desk's people call back and record what came of it.
    path: '/return-visits',
    name: 'return-visits',
    component: () => import('./ReturnVisitsPage.vue'),
    roles: SERVICE_DESK,
    nav: { label: 'tickets.returnVisits.nav', icon: 'calendar' },
  },
  {
    // Search is open to every signed-in user; the desk also writes and publishes articles.
    path: '/kb',
    name: 'kb',
    component: () => import('./KnowledgeBasePage.vue'),
    roles: EVERYONE,
    nav: { label: 'kb.nav', icon: 'file' },
  },
  {
    path: '/kb/:id',
    name: 'kb-article',
    component: () => import('./KnowledgeArticlePage.vue'),
    roles: EVERYONE,
    props: true,
  },
  {
    path: '/admin/sla',
    name: 'sla-policies',
    component: () => import('./SlaPoliciesPage.vue'),
    roles: SERVICE_MANAGERS,
    nav: { label: 'sla.nav', icon: 'clock' },
  },
  {
    path: '/admin/workflow-rules',
    name: 'workflow-rules',
    component: () => import('./WorkflowRulesPage.vue'),
    roles: SERVICE_MANAGERS,
    nav: { label: 'tickets.nav.rules', icon: 'sliders' },
  },
  {
    // Agents set their own availability here; service managers also edit groups, skills and capacity.
    path: '/desk/groups',
    name: 'agent-groups',
    component: () => import('./TicketGroupsPage.vue'),
    roles: SERVICE_DESK,
    nav: { label: 'tickets.nav.groups', icon: 'user-check' },
  },
  {
    // The public request form and a request's follow page (acknowledgement number + token): no sign-in.
    path: '/request',
    name: 'public-request',
    component: () => import('./PublicRequestPage.vue'),
    public: true,
  },
  {
    path: '/request/:number',
    name: 'public-request-follow',
    component: () => import('./PublicRequestPage.vue'),
    public: true,
    props: true,
  },
  {
    path: '/dashboards/channels',
    name: 'channel-dashboard',
    component: () => import('./ChannelDashboardPage.vue'),
    roles: ['admin', 'sales_manager', 'service_manager', 'executive'],
    nav: { label: 'nav.channelDashboard', icon: 'chart' },
    startFor: ['executive'],
  },
  // Reports: everyone may build, save and share reports and boards; each sees the figures of their own scope.
  {
    path: '/reports',
    name: 'reports',
    component: () => import('./ReportsPage.vue'),
    roles: EVERYONE,
    nav: { label: 'reports.nav.reports', icon: 'file' },
  },
  {
    path: '/reports/new',
    name: 'report-new',
    component: () => import('./ReportBuilderPage.vue'),
    roles: EVERYONE,
  },
  {
    path: '/reports/:id/edit',
    name: 'report-edit',
    component: () => import('./ReportBuilderPage.vue'),
    roles: EVERYONE,
    props: true,
  },
  {
    path: '/reports/:id',
    name: 'report',
    component: () => import('./ReportPage.vue'),
    roles: EVERYONE,
    props: true,
  },
  {
    path: '/boards',
    name: 'boards',
    component: () => import('./BoardsPage.vue'),
    roles: EVERYONE,
    nav: { label: 'reports.nav.boards', icon: 'sliders' },
  },
  {
    path: '/boards/:id',
    name: 'board',
    component: () => import('./BoardPage.vue'),
    roles: EVERYONE,
    props: true,
  },
  {
    // Acquisition, sales, service and pool dashboards for everyone (scoped to each viewer); the executive
    // one only for admins, executives and sales managers (the page hides its tab from others).
    path: '/dashboards/:kind(acquisition|sales|service|pool|executive)?',
    name: 'dashboards',
    component: () => import('./DashboardsPage.vue'),
    roles: EVERYONE,
    props: true,
    nav: { label: 'reports.nav.dashboards', icon: 'chart' },
  },
]

// What each role may do inside pages (the server enforces the same rules; this only hides buttons).
export const permissions = {
  createLead: ['admin', 'sales_manager', 'sales_rep'],
  claimLead: ['sales_manager', 'sales_rep'],
  convertLead: ['admin', 'sales_manager', 'sales_rep'],
  returnLead: ['sales_manager', 'sales_rep'],
  managePools: ['admin', 'sales_manager'],
  distributeLeads: ['admin', 'sales_manager'],
  importLeads: ['admin', 'sales_manager'],
  manageCampaigns: ['admin', 'sales_manager'],
  openTicket: ['admin', 'sales_manager', 'sales_rep', 'service_agent', 'service_manager'],
  // Orders, contracts, payment plans, payments, invoices and refunds: the sales API's sellers.
  sellDeals: ['admin', 'sales_manager', 'sales_rep'],
}

export function can(user, action) {
  const allowed = permissions[action]
  return !!user && !!allowed && (user.roles || []).some((r) => allowed.includes(r))
}

export function navPagesFor(user) {
  return pages.filter((p) => p.nav && !p.public && (!p.roles || (user?.roles || []).some((r) => p.roles.includes(r))))
}

/** The start page of a user: the first navigation entry they may open. */
export function homeFor(user) {
  const allowed = navPagesFor(user)
  const start = allowed.find((p) => (p.startFor || []).some((r) => (user?.roles || []).includes(r))) || allowed[0]
  return start ? { name: start.name } : { name: 'customers' }
}
