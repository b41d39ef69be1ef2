import { AxeBuilder } from '@axe-core/playwright'
import { expect, test, type Page } from '@playwright/test'

const PASSWORD = 'correct horse battery'
/** The editor must be usable this soon after navigating to it (ms); override on a slow machine. */

const unique = () => `${Date.now()}-${Math.floor(Math.random() * 1e6)}`

interface Owner {
  access_token: string
  refresh_token: string
  workspace: string
}

/**
 * One workspace for both tests, made through the API: the server lets one address create only
 * a few workspaces an hour, and the other specs use most of them. (Signing up through the UI
 * is covered by onboarding.spec.ts.)
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

/** The address a published site answers at: its own host on the server's port (`*.localhost` is loopback). */
function siteAddress(baseURL: string, slug: string): string {
  const base = new URL(baseURL)
  return `${base.protocol}//${slug}.localhost:${base.port}/`
}

test('an owner makes a site from a template, edits the heading in the editor, and publishes it', async ({ page, baseURL }) => {
  test.setTimeout(45_000)
  const id = unique()
  const business = `Loaf ${id}`
  const heading = `Fresh bread ${id}`

  // Nothing, GrapesJS included, may load anything from another host (no CDN icons, no telemetry).
  const origin = new URL(baseURL ?? '')
  const elsewhere: string[] = []
  page.context().on('request', (r) => {
    const u = new URL(r.url())
    const local = u.host === origin.host || u.hostname.endsWith('.localhost')
    if ((u.protocol === 'http:' || u.protocol === 'https:') && !local) elsewhere.push(r.url())
  })

  // Signed in as the workspace's owner (the session the app keeps in localStorage).
  const session = JSON.stringify({ access_token: owner.access_token, refresh_token: owner.refresh_token })
  await page.addInitScript({
    content: `if (location.pathname.startsWith('/app') && !localStorage.getItem('stackpro.session')) localStorage.setItem('stackpro.session', ${JSON.stringify(session)})`,
  })
  await page.goto('/app/')
  await expect(page.getByRole('heading', { name: `Welcome to ${owner.workspace}` })).toBeVisible()

  // No sites yet: the empty state explains what a site is.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sites' }).click()
  await expect(page.getByRole('heading', { name: 'Sites', level: 1 })).toBeVisible()
  await expect(page.getByText('No sites yet')).toBeVisible()
  await page.getByRole('link', { name: 'Create your first site' }).click()

  // Step 1: the gallery, with a picture of each template.
  const gallery = page.getByRole('list', { name: 'Templates' })
  await expect(gallery.getByRole('listitem')).toHaveCount(8)
  await gallery.getByRole('button', { name: /Morning Loaf/ }).click()

  // Step 2: the business's details.
  await expect(page.getByText('Step 2 of 2')).toBeVisible()
  await page.getByLabel('Business name').fill(business)
  await page.getByLabel('City').fill('Leeds')
  await page.getByLabel('Phone').fill('+44 113 496 0000')
  await page.getByLabel('Email').fill(`hello-${id}@example.test`)
  await page.getByLabel('Services').fill('Sourdough\nCroissants\nBirthday cakes')
  await page.getByRole('button', { name: 'Create site' }).click()

  // The site's page: not published yet, with its home page.
  await expect(page.getByRole('heading', { name: business, level: 1 })).toBeVisible()
  await expect(page.getByText('Not published', { exact: true })).toBeVisible()
  const home = page.getByRole('row').filter({ hasText: 'Home' })
  await expect(home).toBeVisible()
  const editLink = home.getByRole('link', { name: /^Edit / })
  const editorPath = await editLink.getAttribute('href')
  expect(editorPath).toMatch(/\/app\/sites\/[^/]+\/pages\/[^/]+\/edit$/)

  // Open the editor straight from its address and time it: navigation to GrapesJS's load event.
  await page.goto(editorPath ?? '')
  await expect(page.locator('[data-editor-ready]')).toBeVisible()
  const readyMs = await page.evaluate(() => performance.getEntriesByName('stackpro:editor-ready')[0]?.startTime ?? -1)
  const canvas = page.frameLocator('.gjs-frame')
  const elements = await canvas.locator('body [data-gjs-type]').count()
  console.log(`editor interactive after ${Math.round(readyMs)} ms (${elements} components on the page)`)
  expect(elements).toBeGreaterThanOrEqual(50)
  expect(readyMs).toBeGreaterThan(0)
  // Measured, not asserted: the number goes to bench/RESULTS.md (the target is 2 s).

  // Edit the main heading in the canvas, then click elsewhere: the change autosaves.
  const status = page.locator('.save-status-label')
  await expect(status).toHaveText('Saved')
  const h1 = canvas.locator('h1')
  await expect(h1).toHaveText(business)
  await h1.dblclick()
  await page.keyboard.press('ControlOrMeta+A')
  await page.keyboard.type(heading)
  await expect(status).toHaveText('Unsaved changes')
  await canvas.locator('.sp-lead').first().click()
  await expect(status).toHaveText('Saved', { timeout: 10_000 })

  // Publish from the editor, confirming first.
  await page.getByRole('button', { name: 'Publish', exact: true }).click()
  const dialog = page.getByRole('dialog', { name: `Publish ${business}?` })
  await dialog.getByRole('button', { name: 'Publish site' }).click()
  await expect(dialog).toBeHidden()
  const live = page.getByRole('link', { name: /View live site/ })
  await expect(live).toBeVisible()
  const slug = new URL((await live.getAttribute('href')) ?? '').hostname.split('.')[0] ?? ''
  expect(slug).not.toBe('')

  // The published site answers on its own host with the new heading.
  const visitor = await page.context().newPage()
  await visitor.goto(siteAddress(baseURL ?? '', slug))
  await expect(visitor.getByRole('heading', { level: 1 })).toHaveText(heading)
  await expect(visitor).toHaveTitle(new RegExp(business))
  expect(elsewhere).toEqual([])
})

interface Template {
  key: string
  name: string
}

/** Serious and critical findings, one line each: rule, impact, what it asks, and the elements. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze()
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help}\n` +
        v.nodes.map((n) => `    ${n.target.join(' ')}  ${n.html.slice(0, 160)}${n.failureSummary ? `\n      ${n.failureSummary.replace(/\n/g, ' ')}` : ''}`).join('\n'),
    )
}

test('every template publishes a page with no serious or critical accessibility violations', async ({ page, request, baseURL }) => {
  test.setTimeout(60_000)
  const headers = { Authorization: `Bearer ${owner.access_token}` }
  const templates: Template[] = await (await request.get('/api/v1/sites/templates', { headers })).json()
  expect(templates.length).toBe(8)

  const report: Record<string, string[]> = {}
  for (const template of templates) {
    const id = unique()
    const created = await request.post('/api/v1/sites', {
      headers,
      data: {
        template: template.key,
        business: {
          name: `${template.name} ${id}`,
          city: 'Leeds',
          phone: '+44 113 496 0000',
          email: `hello-${id}@example.test`,
          services: ['First service', 'Second service', 'Third service'],
        },
      },
    })
    expect(created.ok(), await created.text()).toBe(true)
    const site: { id: string; slug: string } = await created.json()
    const published = await request.post(`/api/v1/sites/${site.id}/publish`, { headers })
    expect(published.ok(), await published.text()).toBe(true)

    await page.goto(siteAddress(baseURL ?? '', site.slug))
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible()
    report[template.key] = await seriousViolations(page)
    console.log(`${template.key}: ${report[template.key]?.length ? report[template.key]?.join('\n  ') : 'no serious or critical violations'}`)

    // The trial allows two sites at a time (the other test may have made one).
    const removed = await request.delete(`/api/v1/sites/${site.id}`, { headers })
    expect(removed.ok(), await removed.text()).toBe(true)
  }

  const failing = Object.entries(report).filter(([, v]) => v.length > 0)
  expect(failing.map(([key, v]) => `${key}:\n  ${v.join('\n  ')}`).join('\n')).toBe('')
})
