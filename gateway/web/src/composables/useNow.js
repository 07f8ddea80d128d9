import { ref, onScopeDispose } from 'vue'

/** A ref holding Date.now(), ticking every `everyMs`, for "5 minutes ago" labels. */
export function useNow(everyMs = 30000) {
  const now = ref(Date.now())
  const timer = setInterval(() => { now.value = Date.now() }, everyMs)
  onScopeDispose(() => clearInterval(timer))
  return now
}
