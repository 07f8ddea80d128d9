// i18n: messages live in en.json and zh-CN.json (same keys in both).
// The user's language is stored server-side (PATCH /api/v1/me) and applied at login;
// before login we use the last language chosen in this browser, else the browser's own.
import { createI18n } from 'vue-i18n'
import en from './en.json'
import zhCN from './zh-CN.json'

export const SUPPORTED_LOCALES = [
  { code: 'en', label: 'EN', name: 'English' },
  { code: 'zh-CN', label: '中文', name: '简体中文' },
]
const STORAGE_KEY = 'crm.locale'

export function normalizeLocale(value) {
  if (!value) return null
  const v = String(value).toLowerCase()
  if (v.startsWith('zh')) return 'zh-CN'
  if (v.startsWith('en')) return 'en'
  return null
}

function initialLocale() {
  try {
    const saved = normalizeLocale(localStorage.getItem(STORAGE_KEY))
    if (saved) return saved
  } catch { /* storage may be disabled */ }
  for (const lang of navigator.languages || [navigator.language]) {
    const found = normalizeLocale(lang)
    if (found) return found
  }
  return 'en'
}

export const i18n = createI18n({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'en',
  messages: { en, 'zh-CN': zhCN },
  missingWarn: false,
  fallbackWarn: false,
})

export const t = (...args) => i18n.global.t(...args)
export const te = (key) => i18n.global.te(key)
export const currentLocale = () => i18n.global.locale.value

/** Switch the UI language (does not talk to the server; see session.changeLocale). */
export function applyLocale(locale) {
  const code = normalizeLocale(locale) || 'en'
  i18n.global.locale.value = code
  document.documentElement.lang = code
  try { localStorage.setItem(STORAGE_KEY, code) } catch { /* ignore */ }
  return code
}

document.documentElement.lang = i18n.global.locale.value
