// Downloads of a report's files (CSV/XLSX exports, chart images) with the bearer token: fetch + blob,
// since a plain link cannot send the Authorization header (as the lead search export does).
import { buildUrl } from '../../api.js'
import { getToken, notifyUnauthorized } from '../../auth.js'
import { t } from '../../i18n/index.js'
import { toast } from '../../toast.js'

function fileNameOf(res, fallback) {
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(res.headers.get('Content-Disposition') || '')
  return match ? decodeURIComponent(match[1]) : fallback
}

/** Fetch `path` (under /api/v1) and save it as a file; resolves true when the browser was handed the file. */
export async function downloadFile(path, query, fallbackName) {
  try {
    const res = await fetch(buildUrl(path, query), { headers: { Authorization: `Bearer ${getToken()}` }, cache: 'no-store' })
    if (res.status === 401) { notifyUnauthorized(); return false }
    if (!res.ok) {
      let message = t('reports.result.downloadFailed', { status: res.status })
      try { message = (await res.json())?.message || message } catch { /* not JSON */ }
      toast.error(message)
      return false
    }
    const url = URL.createObjectURL(await res.blob())
    const a = document.createElement('a')
    a.href = url
    a.download = fileNameOf(res, fallbackName)
    document.body.appendChild(a)
    a.click()
    a.remove()
    setTimeout(() => URL.revokeObjectURL(url), 10000)
    return true
  } catch {
    toast.error(t('errors.network'))
    return false
  }
}
