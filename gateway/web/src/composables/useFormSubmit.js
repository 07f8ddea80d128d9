// The state of a form that sends one submission at a time: busy while sending, then the server's field
// errors and its refusal text when it says no.
import { ref } from 'vue'
import { STALE } from '../api.js'
import { errorText, flatFieldErrors } from '../refusals.js'

/**
 * `submit(send, check)` clears the errors, stops at the field errors `check()` returns (saying `invalidText()`
 * too, when given, for long forms whose first error may be out of sight), else awaits `send()`.
 * A refusal fills `errors` (field errors, flattened) and `formError` (its text); a 412 goes to `onStale(err)`
 * instead when it is given, for pages that reload what someone else changed first.
 */
export function useFormSubmit({ onStale, invalidText } = {}) {
  const errors = ref({})
  const formError = ref('')
  const saving = ref(false)

  async function submit(send, check = () => ({})) {
    if (saving.value) return
    formError.value = ''
    errors.value = check()
    if (Object.keys(errors.value).length) {
      if (invalidText) formError.value = invalidText()
      return
    }
    saving.value = true
    try {
      await send()
    } catch (err) {
      if (onStale && err?.status === STALE) {
        onStale(err)
      } else {
        errors.value = flatFieldErrors(err)
        formError.value = errorText(err)
      }
    } finally {
      saving.value = false
    }
  }

  return { errors, formError, saving, submit }
}
