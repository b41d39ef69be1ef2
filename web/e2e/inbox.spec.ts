import { AxeBuilder } from '@axe-core/playwright'
import { expect, test, type Browser, type Page } from '@playwright/test'

const PASSWORD = 'correct horse battery'
const unique = () => `${Date.now()}-${Math.floor(Math.random() * 1e6)}`

interface Tokens {
  access_token: string
  refresh_token: string
}

function tokensOf(v: unknown): Tokens {
  if (typeof v === 'object' && v !== null && 'access_token' in v && 'refresh_token' in v) {
    return { access_token: String(v.access_token), refresh_token: String(v.refresh_token) }
  }
  throw new Error(`not a session: ${JSON.stringify(v)}`)
}

/** A page signed in with `tokens` (the session the app keeps in localStorage). */
async function signedIn(browser: Browser, tokens: Tokens): Promise<Page> {
  const context = await browser.newContext()
  const page = await context.newPage()
  const session = JSON.stringify({ access_token: tokens.access_token, refresh_token: tokens.refresh_token })
  await page.addInitScript({
    content: `if (location.pathname.startsWith('/app') && !localStorage.getItem('stackpro.session')) localStorage.setItem('stackpro.session', ${JSON.stringify(session)})`,
  })
  return page
}

test('two people chat in real time: a channel, presence, typing and messages both ways', async ({ browser, playwright, baseURL }) => {
  // An owner and a member, made through the API (the UI's sign-up and invitations have their own specs).
  const id = unique()
  const api = await playwright.request.newContext({ baseURL })
  const signup = await api.post('/api/v1/auth/signup', {
    data: { email: `owner-${id}@example.test`, password: PASSWORD, tenant_name: `Bakery ${id}` },
  })
  expect(signup.status(), await signup.text()).toBe(201)
  const owner = tokensOf(await signup.json())
  const invite = await api.post('/api/v1/members', {
    headers: { authorization: `Bearer ${owner.access_token}` },
    data: { email: `bob-${id}@example.test`, role: 'member' },
  })
  expect(invite.status(), await invite.text()).toBe(201)
  const inviteBody: unknown = await invite.json()
  const url = typeof inviteBody === 'object' && inviteBody !== null && 'invite_url' in inviteBody ? String(inviteBody.invite_url) : ''
  const token = url.split('token=')[1]
  const accepted = await api.post('/api/v1/invitations/accept', { data: { token, password: PASSWORD, name: 'Bob' } })
  expect(accepted.status(), await accepted.text()).toBe(200)
  const bob = tokensOf(await accepted.json())
  await api.dispose()

  const a = await signedIn(browser, owner)
  const b = await signedIn(browser, bob)

  // The owner makes a channel for the team.
  await a.goto('/app/inbox')
  await expect(a.getByRole('heading', { name: 'Inbox' })).toBeVisible()
  await a.getByLabel('New channel name').fill('general')
  await a.getByRole('button', { name: 'Create channel' }).click()
  await expect(a.getByRole('heading', { name: '# general' })).toBeVisible()

  // Bob opens it; each sees the other online.
  await b.goto('/app/inbox')
  await b.getByRole('button', { name: '# general' }).click()
  await expect(b.getByRole('heading', { name: '# general' })).toBeVisible()
  await expect(b.getByText('No messages yet')).toBeVisible()

  // Bob types: the owner sees it while it happens; then his message arrives without a reload.
  await b.getByLabel('Message', { exact: true }).fill('Fresh rye at 7?')
  await expect(a.getByText('Bob is typing…')).toBeVisible()
  await b.getByLabel('Message', { exact: true }).press('Enter')
  await expect(a.getByRole('list', { name: 'Messages' }).getByText('Fresh rye at 7?')).toBeVisible()
  await expect(a.getByRole('img', { name: 'Bob is online' })).toBeVisible()

  // And back.
  await a.getByLabel('Message', { exact: true }).fill('Yes, two loaves are kept for you.')
  await a.getByRole('button', { name: 'Send' }).click()
  await expect(b.getByRole('list', { name: 'Messages' }).getByText('Yes, two loaves are kept for you.')).toBeVisible()
  await expect(b.getByText('Connecting…')).toHaveCount(0)
  // Read where it is shown: no unread badge left for Bob.
  await expect(b.getByLabel(/unread/)).toHaveCount(0)

  // A private channel: Bob sees it only once the owner adds him, and then at once.
  await a.getByLabel('New channel name').fill('secret')
  await a.getByLabel('Who reads it').selectOption('private')
  await a.getByRole('button', { name: 'Create channel' }).click()
  await expect(a.getByRole('heading', { name: '# secret · private' })).toBeVisible()
  await expect(b.getByRole('button', { name: /# secret/ })).toHaveCount(0)
  await a.getByLabel('Add someone to this channel').selectOption({ label: 'Bob' })
  await a.getByRole('button', { name: 'Add', exact: true }).click()
  await expect(b.getByRole('button', { name: /# secret/ })).toBeVisible()

  // A direct message: it appears in Bob's inbox as soon as the owner opens it.
  await a.getByLabel('Message someone directly').selectOption({ label: 'Bob' })
  await a.getByRole('button', { name: 'Open', exact: true }).click()
  await expect(a.getByRole('heading', { name: '@ Bob' })).toBeVisible()
  await expect(b.getByRole('button', { name: /^@ owner-/ })).toBeVisible()

  const serious = (await new AxeBuilder({ page: a }).analyze()).violations.filter(
    (v) => v.impact === 'serious' || v.impact === 'critical',
  )
  expect(serious.map((v) => `${v.id}: ${v.help}`)).toEqual([])

  // On a phone: the channel list, then the conversation with a way back.
  await b.setViewportSize({ width: 390, height: 800 })
  await expect(b.getByRole('button', { name: 'Channels' })).toBeVisible()
  await b.getByRole('button', { name: 'Channels' }).click()
  await expect(b.getByRole('button', { name: '# general' })).toBeVisible()
})
