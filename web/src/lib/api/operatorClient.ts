import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'
import { operatorSessionStore } from './operatorSession'

const CONSOLE = '/api/v1/operator/'
/** Signing in and out answer for themselves: their callers handle every outcome. */
const SESSION = '/api/v1/operator/session'

/**
 * The console's bearer goes to the console's endpoints and nowhere else. They answer 404
 * (`route_not_found`) to anything but a live operator session, so a 404 means the session
 * ended (expired, signed out elsewhere, or the operator was disabled): it is forgotten, and
 * the console's guard sends the browser back to its sign-in.
 */
const operatorAuth: Middleware = {
  onRequest({ request, schemaPath }) {
    const session = operatorSessionStore.get()
    if (session && schemaPath.startsWith(CONSOLE)) request.headers.set('Authorization', `Bearer ${session.access_token}`)
    return request
  },
  onResponse({ response, schemaPath }) {
    if (response.status === 404 && schemaPath.startsWith(CONSOLE) && schemaPath !== SESSION) operatorSessionStore.clear('expired')
    return undefined
  },
}

/** The operator console's API client; never sends the workspace session. Use with `unwrap`. */
export const operatorApi = createClient<paths>({ baseUrl: '' })
operatorApi.use(operatorAuth)
