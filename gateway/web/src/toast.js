// Toast notifications: toast.error(message), toast.success(message), toast.info(message).
import { reactive } from 'vue'

export const toasts = reactive([])
let nextId = 1
const DURATION = { error: 7000, success: 3500, info: 4500 }

function push(kind, message, { timeout } = {}) {
  if (!message) return null
  // The same message shown twice in a row (e.g. two failed calls) is shown once, refreshed.
  const same = toasts.find((x) => x.kind === kind && x.message === message)
  if (same) dismiss(same.id)
  const item = { id: nextId++, kind, message, timer: null }
  toasts.push(item)
  while (toasts.length > 5) toasts.shift()
  const ms = timeout ?? DURATION[kind]
  if (ms > 0) item.timer = setTimeout(() => dismiss(item.id), ms)
  return item.id
}

export function dismiss(id) {
  const i = toasts.findIndex((x) => x.id === id)
  if (i >= 0) {
    clearTimeout(toasts[i].timer)
    toasts.splice(i, 1)
  }
}

export const toast = {
  error: (message, opts) => push('error', message, opts),
  success: (message, opts) => push('success', message, opts),
  info: (message, opts) => push('info', message, opts),
  dismiss,
}
