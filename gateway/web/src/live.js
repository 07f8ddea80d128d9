// Live events from GET /api/v1/live (server-sent events).
// EventSource cannot send an Authorization header, so this reads the stream with
// fetch + ReadableStream and parses SSE itself. It reconnects with exponential
// backoff (with jitter) and resumes with the Last-Event-ID header.
//
// Usage in a page:
//   useLiveEvent('leads.lead.claimed.v1', (envelope) => { ... envelope.payload.lead_id ... })
//   useLiveReconnect(() => reload())   // after a reconnect, refetch what may have been missed
import { ref, getCurrentScope, onScopeDispose } from 'vue'
import { getToken, notifyUnauthorized } from './auth.js'

/**
 * Incremental parser for the text/event-stream format (WHATWG HTML, "server-sent events").
 * push(text) any number of times; onMessage({id, event, data}) is called per dispatched message.
 */
export function createSseParser(onMessage, { lastEventId = '', onRetry = () => {}, onComment = () => {} } = {}) {
  let buffer = ''
  let data = []
  let eventName = ''
  let lastId = lastEventId
  let first = true
  let pendingLF = false

  function dispatch() {
    if (data.length === 0) {
      eventName = ''
      return
    }
    const message = { id: lastId, event: eventName || 'message', data: data.join('\n') }
    data = []
    eventName = ''
    onMessage(message)
  }

  function processLine(line) {
    if (line === '') return dispatch()
    if (line[0] === ':') return onComment(line.slice(1).trim())
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value[0] === ' ') value = value.slice(1)
    if (field === 'event') eventName = value
    else if (field === 'data') data.push(value)
    else if (field === 'id') { if (!value.includes('\0')) lastId = value }
    else if (field === 'retry') { if (/^\d+$/.test(value)) onRetry(Number(value)) }
  }

  return {
    push(chunk) {
      if (!chunk) return
      if (first) {
        if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1)
        first = false
      }
      if (pendingLF && chunk[0] === '\n') chunk = chunk.slice(1) // second half of a \r\n split across chunks
      pendingLF = false
      buffer += chunk
      let start = 0
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer[i]
        if (c !== '\n' && c !== '\r') continue
        processLine(buffer.slice(start, i))
        if (c === '\r') {
          if (i === buffer.length - 1) pendingLF = true
          else if (buffer[i + 1] === '\n') i++
        }
        start = i + 1
      }
      buffer = buffer.slice(start)
    },
    get lastEventId() { return lastId },
  }
}

export function createLiveClient({
  url = '/api/v1/live',
  tokenProvider = getToken,
  onUnauthorized = notifyUnauthorized,
  fetchImpl = (...args) => fetch(...args),
  minDelayMs = 1000,
  maxDelayMs = 30000,
  idleTimeoutMs = 75000, // no byte (not even a keepalive) for this long: reconnect
} = {}) {
  const state = ref('idle') // idle | connecting | open | retrying
  const handlers = new Map() // event name (or '*') -> Set of functions
  const openHandlers = new Set()
  let lastEventId = ''
  let running = false
  let controller = null
  let wakeUp = null
  let attempt = 0
  let everOpened = false
  let serverRetryMs = null
  let generation = 0 // a stop()+start() makes the previous loop exit at its next await

  function on(name, fn) {
    if (!handlers.has(name)) handlers.set(name, new Set())
    handlers.get(name).add(fn)
    return () => handlers.get(name)?.delete(fn)
  }

  function onOpen(fn) {
    openHandlers.add(fn)
    return () => openHandlers.delete(fn)
  }

  function dispatch(message) {
    lastEventId = message.id || lastEventId
    let envelope = message.data
    try { envelope = JSON.parse(message.data) } catch { /* not JSON: pass the text */ }
    const name = message.event !== 'message' ? message.event : envelope?.name || 'message'
    const meta = { id: message.id, event: name }
    for (const fn of [...(handlers.get(name) || []), ...(handlers.get('*') || [])]) {
      try { fn(envelope, meta) } catch (err) { console.error('live handler failed', name, err) }
    }
  }

  async function connectOnce(token) {
    controller = new AbortController()
    const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${token}` }
    if (lastEventId) headers['Last-Event-ID'] = lastEventId
    const res = await fetchImpl(url, { headers, signal: controller.signal, cache: 'no-store' })
    if (res.status === 401) return 'unauthorized'
    if (!res.ok || !res.body) throw new Error(`live stream: HTTP ${res.status}`)

    const reconnected = everOpened
    everOpened = true
    state.value = 'open'
    for (const fn of openHandlers) {
      try { fn({ reconnected }) } catch (err) { console.error('live open handler failed', err) }
    }

    const parser = createSseParser(dispatch, {
      lastEventId,
      onRetry: (ms) => { serverRetryMs = ms },
    })
    const reader = res.body.getReader()
    const decoder = new TextDecoder()
    let idleTimer = null
    const armIdle = () => {
      clearTimeout(idleTimer)
      idleTimer = setTimeout(() => controller.abort(), idleTimeoutMs)
    }
    armIdle()
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        armIdle()
        attempt = 0 // data flows: the next reconnect starts from the shortest delay
        parser.push(decoder.decode(value, { stream: true }))
      }
    } finally {
      clearTimeout(idleTimer)
    }
    return 'closed'
  }

  function backoffDelay() {
    const base = Math.max(minDelayMs, serverRetryMs || 0)
    const exp = Math.min(maxDelayMs, base * 2 ** Math.max(0, attempt - 1))
    return Math.round(exp * (0.5 + Math.random() * 0.5))
  }

  function sleep(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms)
      wakeUp = () => { clearTimeout(timer); resolve() }
    })
  }

  async function loop(gen) {
    const current = () => running && gen === generation
    while (current()) {
      const token = tokenProvider()
      if (!token) {
        stop()
        onUnauthorized()
        return
      }
      state.value = attempt === 0 && !everOpened ? 'connecting' : 'retrying'
      let result
      try {
        result = await connectOnce(token)
      } catch (err) {
        result = 'error'
      }
      if (!current()) return
      if (result === 'unauthorized') {
        stop()
        onUnauthorized()
        return
      }
      attempt++
      state.value = 'retrying'
      await sleep(backoffDelay())
    }
  }

  function start() {
    if (running) return
    running = true
    attempt = 0
    generation++
    loop(generation)
  }

  function stop() {
    running = false
    controller?.abort()
    wakeUp?.()
    state.value = 'idle'
  }

  /** Forget the position in the stream (another user logs in in this tab). */
  function reset() {
    stop()
    lastEventId = ''
    everOpened = false
  }

  return {
    state, on, onOpen, start, stop, reset,
    get lastEventId() { return lastEventId },
    get running() { return running },
  }
}

export const live = createLiveClient()

/** Subscribe to one or more event names for the lifetime of the calling component. */
export function useLiveEvent(names, fn) {
  const offs = [].concat(names).map((name) => live.on(name, fn))
  if (getCurrentScope()) onScopeDispose(() => offs.forEach((off) => off()))
  return () => offs.forEach((off) => off())
}

/** Run fn after the live stream reconnects (events may have been missed while it was down). */
export function useLiveReconnect(fn) {
  const off = live.onOpen(({ reconnected }) => { if (reconnected) fn() })
  if (getCurrentScope()) onScopeDispose(off)
  return off
}
