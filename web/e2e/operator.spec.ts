import { expect, test, type APIRequestContext, type Page } from '@playwright/test'

// scripts/e2e.sh makes this operator with `stackpro operator create` before the specs run.
const OPERATOR = {
  email: process.env.STACKPRO_OPERATOR_EMAIL ?? '',
  password: process.env.STACKPRO_OPERATOR_PASSWORD ?? '',
}

// Amounts are read back from the page, so they are written the way this locale writes them.
test.use({ locale: 'en-US' })

test.beforeAll(() => {
  if (!OPERATOR.email || !OPERATOR.password) {
    throw new Error('Set STACKPRO_OPERATOR_EMAIL and STACKPRO_OPERATOR_PASSWORD (scripts/e2e.sh does)')
  }
})

const uniqueId = () => `${Date.now()}-${Math.floor(Math.random() * 1e6)}`

/** "$1,234.00" → 123400. */
function cents(text: string): number {
  return Math.round(Number(text.replace(/[^0-9.]/g, '')) * 100)
}

async function signInToConsole(page: Page, email: string, password: string) {
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

const plansTable = (page: Page) => page.getByRole('table', { name: 'Plans' })
const planRow = (page: Page, name: string) =>
  plansTable(page).getByRole('row').filter({ has: page.getByText(name, { exact: true }) })

/** A plan's monthly recurring revenue from the Plans table; nothing when no workspace is on it. */
async function planMrr(page: Page, name: string): Promise<number> {
  const row = planRow(page, name)
  if ((await row.count()) === 0) return 0
  return cents(await row.getByRole('cell').last().innerText())
}

/** Signs a workspace up through the API and answers its owner's access token. */
async function signUpWorkspace(request: APIRequestContext, name: string, email: string): Promise<string> {
  const res = await request.post('/api/v1/auth/signup', {
    data: { tenant_name: name, email, password: 'correct horse battery' },
  })
  expect(res.status()).toBe(201)
  const body: unknown = await res.json()
  if (typeof body !== 'object' || body === null || !('access_token' in body) || typeof body.access_token !== 'string') {
    throw new Error('signup answered without an access token')
  }
  return body.access_token
}

test('an operator sees a workspace that moves to a paid plan in MRR, plans and usage, then signs out', async ({ page }) => {
  const id = uniqueId()
  const business = `Console ${id}`

  // The console has its own sign-in; the console itself sends there first.
  await page.goto('/app/operator')
  await expect(page).toHaveURL(/\/app\/operator\/login$/)
  await expect(page.getByRole('heading', { name: 'Sign in to the console' })).toBeVisible()
  await signInToConsole(page, OPERATOR.email, OPERATOR.password)
  await expect(page.getByRole('heading', { name: 'Revenue and usage', level: 1 })).toBeVisible()
  await expect(page).toHaveURL(/\/app\/operator$/)
  await expect(page.getByRole('banner').getByText(OPERATOR.email)).toBeVisible()
  await expect(plansTable(page)).toBeVisible()
  const starterBefore = await planMrr(page, 'Starter')
  const totalBefore = await planMrr(page, 'All plans')

  // In the same tab, someone signs a workspace up and moves it to Starter.
  await page.goto('/app/signup')
  await page.getByLabel('Business name').fill(business)
  await page.getByLabel('Email').fill(`owner-${id}@example.test`)
  await page.getByLabel('Password').fill('correct horse battery')
  await page.getByRole('button', { name: 'Create workspace' }).click()
  await expect(page.getByRole('heading', { name: `Welcome to ${business}` })).toBeVisible()
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).click()
  await page.getByRole('button', { name: 'Upgrade to Starter' }).click()
  const dialog = page.getByRole('dialog', { name: 'Upgrade to Starter?' })
  await dialog.getByRole('button', { name: 'Upgrade to Starter' }).click()
  await expect(dialog).toBeHidden()
  await expect(page.locator('.plan-name')).toHaveText('Starter')

  // Back in the console (its session outlives the workspace's pages), Starter earns one more price.
  await page.goto('/app/operator')
  await expect(page.getByRole('heading', { name: 'Revenue and usage', level: 1 })).toBeVisible()
  const starter = planRow(page, 'Starter')
  await expect(starter).toBeVisible()
  const price = cents(/(\$[\d,.]+) \/ month/.exec(await starter.innerText())?.[1] ?? '')
  expect(price).toBeGreaterThan(0)
  expect(await planMrr(page, 'Starter')).toBe(starterBefore + price)
  expect(await planMrr(page, 'All plans')).toBe(totalBefore + price)
  const figures = page.getByLabel('Key figures')
  await expect(figures).toContainText('MRR')
  expect(cents(await figures.getByRole('definition').first().innerText())).toBe(totalBefore + price)
  await expect(page.getByRole('img', { name: /^Monthly recurring revenue by plan: .*Starter \$/ })).toBeVisible()

  // Usage by workspace lists it under its plan, with its owner's seat.
  await page.getByLabel('Meter').selectOption({ label: 'Team seats' })
  const usage = page.getByRole('table', { name: 'Team seats by workspace' })
  const mine = usage.getByRole('row').filter({ hasText: business })
  await expect(mine).toBeVisible()
  await expect(mine.getByRole('cell').nth(1)).toHaveText('Starter')
  await expect(mine.getByRole('cell').nth(2)).toHaveText('1')

  // Signing out returns to the console's sign-in, and the console stays closed.
  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click()
  await expect(page).toHaveURL(/\/app\/operator\/login$/)
  await expect(page.getByText('You have signed out of the console.')).toBeVisible()
  await page.goto('/app/operator')
  await expect(page).toHaveURL(/\/app\/operator\/login$/)
  await expect(page.getByRole('heading', { name: 'Sign in to the console' })).toBeVisible()
})

test('a wrong password is refused with a message that says so', async ({ page }) => {
  await page.goto('/app/operator/login')
  await signInToConsole(page, OPERATOR.email, `${OPERATOR.password}-wrong`)
  await expect(page.getByRole('alert')).toHaveText(/That email and password don't match\. Check them and try again\./)
  await expect(page).toHaveURL(/\/app\/operator\/login$/)
  await expect(page.getByRole('heading', { name: 'Revenue and usage' })).toHaveCount(0)

  // The right password still works after a refusal.
  await page.getByLabel('Password').fill(OPERATOR.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('heading', { name: 'Revenue and usage', level: 1 })).toBeVisible()
})

test("a workspace owner's token and password do not open the console", async ({ page }) => {
  const id = uniqueId()
  const email = `owner-${id}@example.test`
  const token = await signUpWorkspace(page.request, `Outsider ${id}`, email)

  // The console's endpoints answer an owner's token as if they did not exist.
  for (const path of ['/api/v1/operator/me', '/api/v1/operator/billing', '/api/v1/operator/usage?meter=seats']) {
    const res = await page.request.get(path, { headers: { Authorization: `Bearer ${token}` } })
    expect(res.status(), path).toBe(404)
    expect((await res.json()).code, path).toBe('route_not_found')
  }

  // Signed in to the workspace in this browser, the console still asks for its own sign-in.
  await page.goto('/app/login')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill('correct horse battery')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('heading', { name: `Welcome to Outsider ${id}` })).toBeVisible()
  await page.goto('/app/operator')
  await expect(page).toHaveURL(/\/app\/operator\/login$/)

  // The owner's email and password are not an operator's.
  await signInToConsole(page, email, 'correct horse battery')
  await expect(page.getByRole('alert')).toHaveText(/That email and password don't match/)

  // An owner's token put where the console keeps its session is refused, and the console says the session ended.
  const planted = { access_token: token, expires_at: new Date(Date.now() + 3_600_000).toISOString(), email }
  await page.evaluate(`sessionStorage.setItem('stackpro.operator-session', ${JSON.stringify(JSON.stringify(planted))})`)
  await page.goto('/app/operator')
  await expect(page).toHaveURL(/\/app\/operator\/login$/)
  await expect(page.getByText('Your console session has ended. Please sign in again.')).toBeVisible()
  await expect(page.getByRole('heading', { name: 'Revenue and usage' })).toHaveCount(0)
})
