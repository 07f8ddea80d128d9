import { onScopeDispose } from 'vue'

/** fn, called at most once per `ms` after the last trigger (for refetches on bursts of live events). */
export function useDebounced(fn, ms = 300) {
  let timer = null
  const run = () => {
    clearTimeout(timer)
    timer = setTimeout(() => { timer = null; fn() }, ms)
  }
  onScopeDispose(() => clearTimeout(timer))
  return run
}
