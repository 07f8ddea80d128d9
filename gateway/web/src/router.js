import { createRouter, createWebHistory } from 'vue-router'
import { pages, homeFor } from './pages/index.js'
import { ensureUser, hasAnyRole } from './session.js'
import { getToken } from './auth.js'
import { toast } from './toast.js'
import { t } from './i18n/index.js'

const routes = [
  { path: '/', name: 'home', component: { render: () => null } },
  ...pages.map((p) => ({
    path: p.path,
    name: p.name,
    component: p.component,
    props: p.props,
    meta: { public: !!p.public, roles: p.roles, nav: p.nav },
  })),
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./pages/NotFoundPage.vue') },
]

export const router = createRouter({
  history: createWebHistory('/'),
  routes,
  scrollBehavior: (to, from, saved) => saved || { top: 0 },
})

router.beforeEach(async (to) => {
  if (to.meta.public) {
    // Already signed in: the login page forwards to the start page.
    if (to.name === 'login' && getToken()) {
      const user = await ensureUser()
      if (user) return safeNext(to.query.next) || homeFor(user)
    }
    return true
  }
  const user = getToken() ? await ensureUser() : null
  if (!user) {
    return { name: 'login', query: to.fullPath && to.fullPath !== '/' ? { next: to.fullPath } : {} }
  }
  if (to.name === 'home') return homeFor(user)
  if (to.meta.roles && !hasAnyRole(user, to.meta.roles)) {
    toast.error(t('errors.forbiddenPage'))
    return homeFor(user)
  }
  return true
})

/** Only same-app paths are accepted as ?next= targets. */
export function safeNext(next) {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : null
}
