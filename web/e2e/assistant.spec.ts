import { fileURLToPath } from 'node:url'
import { AxeBuilder } from '@axe-core/playwright'
import { expect, test, type Locator, type Page } from '@playwright/test'

const PASSWORD = 'correct horse battery'

const unique = () => `${Date.now()}-${Math.floor(Math.random() * 1e6)}`

interface Owner {
  access_token: string
  refresh_token: string
  workspace: string
}

/**
 * A fresh workspace made through the API: the server lets one address create only a few
 * workspaces an hour, and the other specs use most of them. (Signing up through the UI is
 * covered by onboarding.spec.ts.)
 */
let owner: Owner

test.beforeAll(async ({ playwright, baseURL }) => {
  const id = unique()
  const api = await playwright.request.newContext({ baseURL })
  const workspace = `Bakery ${id}`
  const res = await api.post('/api/v1/auth/signup', {
    data: { email: `owner-${id}@example.test`, password: PASSWORD, tenant_name: workspace },
  })
  expect(res.status(), await res.text()).toBe(201)
  const body: { access_token: string; refresh_token: string } = await res.json()
  owner = { access_token: body.access_token, refresh_token: body.refresh_token, workspace }
  await api.dispose()
})

const HOURS = `# Opening hours

We open at 7am Monday to Saturday and close at 6pm.

## Sundays

On Sundays we open from 8am to noon. The café corner stays closed on Sundays.

# Delivery

We deliver cakes within 10 km of the shop for a fee of 5 pounds.
`

/** A 1×1 PNG: the server judges a file by its bytes, so naming it .pdf does not make it one. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC',
  'base64',
)

/** Serious and critical findings on the page as it is, one line each: rule, what it asks, where. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze()
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
}

test('an owner uploads a Markdown file, asks the playground, and opens the cited passage', async ({ page, baseURL }) => {
  test.setTimeout(60_000)

  // Nothing may load from another host.
  const origin = new URL(baseURL ?? '')
  const elsewhere: string[] = []
  page.context().on('request', (r) => {
    const u = new URL(r.url())
    if ((u.protocol === 'http:' || u.protocol === 'https:') && u.host !== origin.host) elsewhere.push(r.url())
  })

  // Signed in as the workspace's owner (the session the app keeps in localStorage).
  const session = JSON.stringify({ access_token: owner.access_token, refresh_token: owner.refresh_token })
  await page.addInitScript({
    content: `if (location.pathname.startsWith('/app') && !localStorage.getItem('stackpro.session')) localStorage.setItem('stackpro.session', ${JSON.stringify(session)})`,
  })
  await page.goto('/app/')
  await expect(page.getByRole('heading', { name: `Welcome to ${owner.workspace}` })).toBeVisible()

  // The knowledge base starts empty and says what it is for.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Assistant' }).click()
  await expect(page.getByRole('heading', { name: 'Assistant', level: 1 })).toBeVisible()
  await expect(page.getByText('Your knowledge base is empty')).toBeVisible()

  // Upload a Markdown file and a picture named .pdf in one go: the picture is refused with the server's reason.
  await page.getByLabel('Choose documents to upload').setInputFiles([
    { name: 'opening-hours.md', mimeType: 'text/markdown', buffer: Buffer.from(HOURS) },
    { name: 'menu-photo.pdf', mimeType: 'application/pdf', buffer: PNG },
  ])
  await expect(page.getByText('menu-photo.pdf was not uploaded')).toBeVisible()
  await expect(page.getByText(/is a PNG file/)).toBeVisible()

  // The document is read in the background; the list follows it until it is ready.
  const documents = page.getByRole('list', { name: 'Documents' })
  const row = documents.getByRole('listitem').filter({ hasText: 'opening-hours' })
  await expect(row).toBeVisible()
  await expect(row.getByText('Ready', { exact: true })).toBeVisible({ timeout: 30_000 })
  await expect(row.getByText(/\d+ passages?/)).toBeVisible()
  await expect(row.getByText('Team', { exact: true })).toBeVisible()
  expect(await seriousViolations(page)).toEqual([])

  // Ask in the playground: the answer streams in, then its sources as numbered chips.
  await page.getByRole('navigation', { name: 'Assistant' }).getByRole('link', { name: 'Playground' }).click()
  await expect(page).toHaveURL(/\/app\/assistant\/chat/)
  await page.getByLabel('Your question').fill('When do you open on Sundays?')
  await page.getByRole('button', { name: 'Ask' }).click()
  const thread = page.getByRole('list', { name: 'Messages' })
  await expect(thread.getByText('When do you open on Sundays?')).toBeVisible()
  await expect(thread.getByText(/8am to noon/).first()).toBeVisible({ timeout: 20_000 })
  // The Sundays passage is among the sources (by meaning, the weekday hours may rank above it).
  const sources = thread.getByRole('list', { name: 'Sources' }).first()
  const chip = sources.getByRole('button', { name: /^\[\d+\] opening-hours/ }).and(sources.getByTitle('Opening hours › Sundays'))
  await expect(chip).toBeVisible()
  const n = ((await chip.textContent()) ?? '').match(/^\[(\d+)\]/)?.[1]
  await expect(thread.getByText(/Quoted from your documents|Written by a language model/).first()).toBeVisible()
  // The new conversation is in the list and in the address.
  await expect(page).toHaveURL(/[?&]c=[0-9a-f-]{36}/)
  await expect(page.getByRole('list', { name: 'Conversations' }).getByRole('listitem')).toHaveCount(1)

  // The chip opens the passage in full, the quoted words marked.
  await chip.click()
  const panel = page.getByRole('dialog', { name: `Source [${n}]` })
  await expect(panel).toBeVisible()
  await expect(panel.getByText('opening-hours', { exact: true })).toBeVisible()
  const passage = panel.getByLabel('Passage')
  await expect(passage).toContainText('On Sundays we open from 8am to noon.')
  await expect(passage.locator('mark')).toContainText('8am to noon')
  expect(await seriousViolations(page)).toEqual([])
  await panel.getByRole('button', { name: 'Close' }).click()
  await expect(panel).toBeHidden()

  // A follow-up stays in the same conversation.
  await page.getByLabel('Your question').fill('Do you deliver cakes?')
  await page.getByRole('button', { name: 'Ask' }).click()
  await expect(thread.getByText(/10 km/).first()).toBeVisible({ timeout: 20_000 })
  await expect(thread.getByRole('list', { name: 'Sources' })).toHaveCount(2)
  await expect(page.getByRole('list', { name: 'Conversations' }).getByRole('listitem')).toHaveCount(1)

  expect(elsewhere).toEqual([])
})

/** The fixture: a 3-page PDF whose page 2 says when deliveries to the Marlowe district leave. */
const HANDBOOK = fileURLToPath(new URL('./fixtures/handbook.pdf', import.meta.url))
const MARLOWE = 'Deliveries to the Marlowe district leave the bakery every Thursday at 6 am.'
const QUESTION = 'When do deliveries to the Marlowe district leave?'

/** Asks in the playground and waits until the answer has streamed to its end. */
async function ask(page: Page, question: string): Promise<Locator> {
  // The thread's own items (not the source chips listed inside answers).
  const messages = page.getByRole('list', { name: 'Messages' }).locator(':scope > li')
  const before = await messages.count()
  await page.getByLabel('Your question').fill(question)
  await page.getByRole('button', { name: 'Ask' }).click()
  // The question, then the answer: the last item, busy until the stream's end.
  await expect(messages).toHaveCount(before + 2)
  const answer = messages.nth(before + 1)
  await expect(answer).not.toHaveAttribute('aria-busy', 'true', { timeout: 20_000 })
  await expect(page.getByRole('button', { name: 'Ask' })).toBeVisible()
  return answer
}

/** Opens an answer's source and checks the passage shows the Marlowe sentence, marked, on page 2. */
async function openMarloweSource(page: Page, answer: Locator) {
  const chip = answer.getByRole('list', { name: 'Sources' }).getByRole('button', { name: /handbook · p\. 2$/ })
  await expect(chip).toBeVisible()
  const n = ((await chip.textContent()) ?? '').match(/^\[(\d+)\]/)?.[1]
  await chip.click()
  const panel = page.getByRole('dialog', { name: `Source [${n}]` })
  await expect(panel.getByText('Page 2 · Opening hours and deliveries')).toBeVisible()
  const passage = panel.getByLabel('Passage')
  await expect(passage).toContainText(MARLOWE)
  await expect(passage.locator('mark')).toContainText('Marlowe district')
  await panel.getByRole('button', { name: 'Close' }).click()
  await expect(panel).toBeHidden()
}

test('a PDF answers with its page; a client reads it only once it is shared with them', async ({ page, browser, baseURL, playwright }) => {
  test.setTimeout(90_000)

  // A workspace of its own, so what other tests upload cannot answer here.
  const id = unique()
  const api = await playwright.request.newContext({ baseURL })
  const workspace = `Harbor Bakery ${id}`
  const res = await api.post('/api/v1/auth/signup', {
    data: { email: `harbor-${id}@example.test`, password: PASSWORD, tenant_name: workspace },
  })
  expect(res.status(), await res.text()).toBe(201)
  const session: { access_token: string; refresh_token: string } = await res.json()
  await api.dispose()
  await page.addInitScript({
    content: `if (location.pathname.startsWith('/app') && !localStorage.getItem('stackpro.session')) localStorage.setItem('stackpro.session', ${JSON.stringify(JSON.stringify({ access_token: session.access_token, refresh_token: session.refresh_token }))})`,
  })

  // (a) The owner uploads the handbook through the UI and waits until it is read: 3 pages.
  await page.goto('/app/assistant')
  await expect(page.getByText('Your knowledge base is empty')).toBeVisible()
  await page.getByLabel('Choose documents to upload').setInputFiles(HANDBOOK)
  const row = page.getByRole('list', { name: 'Documents' }).getByRole('listitem').filter({ hasText: 'handbook.pdf' })
  await expect(row.getByText('Ready', { exact: true })).toBeVisible({ timeout: 30_000 })
  await expect(row.getByText(/PDF · .* · 3 pages · \d+ passages?/)).toBeVisible()
  await expect(row.getByText('Team', { exact: true })).toBeVisible()

  // Asked in the playground, the answer cites page 2, and the source shows the sentence.
  await page.getByRole('navigation', { name: 'Assistant' }).getByRole('link', { name: 'Playground' }).click()
  const answer = await ask(page, QUESTION)
  await expect(answer).toContainText(MARLOWE)
  await openMarloweSource(page, answer)

  // (b) A client is invited from the Team page and joins through the link.
  const clientEmail = `client-${id}@example.test`
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Team' }).click()
  await page.getByLabel('Email address').fill(clientEmail)
  await page.getByLabel('Role', { exact: true }).selectOption('client')
  await page.getByRole('button', { name: 'Send invite' }).click()
  const inviteUrl = await page.getByLabel('Invite link', { exact: true }).inputValue()
  expect(inviteUrl).toMatch(/\/app\/accept-invite\?token=.+/)

  const clientContext = await browser.newContext({ baseURL })
  const client = await clientContext.newPage()
  await client.goto(inviteUrl)
  await client.getByLabel('Your name').fill('Clara Client')
  await client.getByLabel('Password').fill(PASSWORD)
  await client.getByRole('button', { name: 'Accept invitation' }).click()
  await client.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Assistant' }).click()
  // Nothing is shared with the client yet, and the same question finds nothing.
  await expect(client.getByText('Nothing shared with you yet')).toBeVisible()
  await client.getByRole('navigation', { name: 'Assistant' }).getByRole('link', { name: 'Playground' }).click()
  const unshared = await ask(client, QUESTION)
  await expect(unshared).toContainText('I could not find this in the documents I can read')
  await expect(unshared).not.toContainText('Marlowe district leave')
  await expect(unshared.getByRole('list', { name: 'Sources' })).toHaveCount(0)

  // (c) The owner shares the handbook with that client.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Assistant' }).click()
  await page.getByRole('button', { name: 'Change who may read handbook' }).click()
  const dialog = page.getByRole('dialog', { name: 'Who may read it' })
  await dialog.getByLabel('Shared with clients').check()
  await dialog.getByRole('checkbox', { name: 'Clara Client' }).check()
  await dialog.getByRole('button', { name: 'Save' }).click()
  await expect(dialog).toBeHidden()
  await expect(row.getByText('Shared with clients', { exact: true })).toBeVisible()
  await expect(row.getByText('Shared with Clara Client')).toBeVisible()

  // The client asks again in the same conversation and now sees page 2 cited.
  const shared = await ask(client, QUESTION)
  await expect(shared).toContainText(MARLOWE)
  await openMarloweSource(client, shared)
  // The earlier answer stays as it was given.
  await expect(unshared.getByRole('list', { name: 'Sources' })).toHaveCount(0)
  await clientContext.close()
})
