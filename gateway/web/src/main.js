import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router.js'
import { i18n } from './i18n/index.js'
import { setUnauthorizedHandler } from './auth.js'
import { forgetUser } from './session.js'
import './styles.css'

// A 401 from any API call or from the live stream: forget the user and go to login,
// coming back to the same page after signing in.
setUnauthorizedHandler(() => {
  forgetUser()
  const current = router.currentRoute.value
  if (current.name === 'login') return
  const next = current.fullPath && current.fullPath !== '/' ? current.fullPath : undefined
  router.replace({ name: 'login', query: { ...(next ? { next } : {}), expired: '1' } })
})

createApp(App).use(i18n).use(router).mount('#app')
