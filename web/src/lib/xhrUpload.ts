import { networkError, toApiError } from '@/lib/api/problem'
import { sessionStore } from '@/lib/api/session'

/** The body as JSON, or null. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

/**
 * Sends a file's bytes as the body of `method url`, reporting progress from 0 to 1, and
 * resolves with the answer when `accept` recognises it. XMLHttpRequest is used because fetch
 * cannot report upload progress; an expired session (401) calls `viaClient`, the same request
 * through the API client, which refreshes the session and retries. Other refusals reject with
 * the server's problem.
 */
export function xhrUpload<T>(
  method: 'POST' | 'PUT',
  url: string,
  file: File,
  accept: (body: unknown) => body is T,
  viaClient: () => Promise<T>,
  onProgress?: (fraction: number) => void,
): Promise<T> {
  const token = sessionStore.get()?.access_token
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open(method, url)
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`)
    xhr.setRequestHeader('Content-Type', 'application/octet-stream')
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total)
    }
    xhr.onerror = () => reject(networkError(new Error('The upload was interrupted.')))
    xhr.onload = () => {
      const body = parseJson(xhr.responseText)
      if (xhr.status === 401) {
        viaClient().then(resolve, reject)
        return
      }
      if (xhr.status >= 200 && xhr.status < 300 && accept(body)) {
        onProgress?.(1)
        resolve(body)
        return
      }
      const headers = new Headers()
      for (const name of ['x-request-id', 'retry-after']) {
        const value = xhr.getResponseHeader(name)
        if (value) headers.set(name, value)
      }
      reject(toApiError(body, new Response(null, { status: xhr.status || 500, statusText: xhr.statusText, headers })))
    }
    xhr.send(file)
  })
}
