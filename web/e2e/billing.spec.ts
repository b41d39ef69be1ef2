import { expect, test, type Page } from '@playwright/test'

const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name })

/** Sends one invitation from the Team page; answers whether the plan refused it. */
async function invite(page: Page, email: string): Promise<'invited' | 'refused'> {
  await page.getByLabel('Email address').fill(email)
  await page.getByRole('button', { name: 'Send invite' }).click()
  const row = page.getByRole('row').filter({ hasText: email })
  const refusal = page.getByRole('status').filter({ hasText: 'Your plan has no room for another teammate' })
  await expect(row.or(refusal)).toBeVisible()
  return (await refusal.isVisible()) ? 'refused' : 'invited'
}

/** Opens the confirmation for a plan from the plan cards and checks what it says will happen. */
async function choosePlan(page: Page, button: string, dialogTitle: string) {
  await page.getByRole('button', { name: button }).click()
  const dialog = page.getByRole('dialog', { name: dialogTitle })
  await expect(dialog).toBeVisible()
  return dialog
}

test('an owner reaches the seat limit, upgrades with proration, and schedules then cancels a downgrade', async ({ page }) => {
  const id = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`
  const business = `Billing ${id}`

  // A fresh workspace starts on the trial.
  await page.goto('/app/signup')
  await page.getByLabel('Business name').fill(business)
  await page.getByLabel('Email').fill(`owner-${id}@example.test`)
  await page.getByLabel('Password').fill('correct horse battery')
  await page.getByRole('button', { name: 'Create workspace' }).click()
  await expect(page.getByRole('heading', { name: `Welcome to ${business}` })).toBeVisible()

  // Billing shows the plan, the meters, the forecast, and no invoices yet.
  await nav(page, 'Billing').click()
  await expect(page.getByRole('heading', { name: 'Billing', level: 1 })).toBeVisible()
  await expect(page.locator('.plan-name')).toHaveText('Trial')
  await expect(page.getByText(/^Trial ends on /)).toBeVisible()
  await expect(page.getByRole('heading', { name: 'Usage this period' })).toBeVisible()
  await expect(page.getByRole('progressbar', { name: /^Team seats: 1 of \d+ members$/ })).toBeVisible()
  await expect(page.getByRole('heading', { name: 'Forecast' })).toBeVisible()
  await expect(page.getByText('Likely cost of this month')).toBeVisible()
  await expect(page.getByText('No invoices yet')).toBeVisible()

  // Upgrading applies at once, and the dialog says this month is prorated.
  let dialog = await choosePlan(page, 'Upgrade to Starter', 'Upgrade to Starter?')
  await expect(dialog).toContainText('Starter applies now')
  await expect(dialog).toContainText('charges each plan for the time it was used (prorated)')
  await dialog.getByRole('button', { name: 'Upgrade to Starter' }).click()
  await expect(dialog).toBeHidden()
  await expect(page.locator('.plan-name')).toHaveText('Starter')
  await expect(page.getByRole('article', { name: 'Starter plan' }).getByText('Current plan')).toBeVisible()
  await expect(page.getByText(/^Trial ends on /)).toHaveCount(0)

  // Inviting goes on until the plan's seats are taken; the refusal names the limit and the plan that allows more.
  await nav(page, 'Team').click()
  const invited: string[] = []
  let outcome: 'invited' | 'refused' = 'invited'
  for (let i = 1; i <= 6 && outcome === 'invited'; i++) {
    const email = `teammate${i}-${id}@example.test`
    outcome = await invite(page, email)
    if (outcome === 'invited') invited.push(email)
  }
  expect(outcome).toBe('refused')
  const starterSeats = invited.length + 1 // the owner's seat and every accepted invitation
  const refusal = page.getByRole('status').filter({ hasText: 'Your plan has no room for another teammate' })
  await expect(refusal).toContainText(`The Starter plan allows ${starterSeats} members`)
  const more = /The (\w+) plan allows more\./.exec(await refusal.innerText())?.[1]
  expect(more).toBe('Professional')
  await expect(refusal.getByRole('link', { name: 'Compare plans' })).toBeVisible()

  // After upgrading to the plan the refusal named, the same invitation goes through.
  await refusal.getByRole('link', { name: 'Compare plans' }).click()
  dialog = await choosePlan(page, 'Upgrade to Professional', 'Upgrade to Professional?')
  await expect(dialog).toContainText('(prorated)')
  await dialog.getByRole('button', { name: 'Upgrade to Professional' }).click()
  await expect(dialog).toBeHidden()
  await expect(page.locator('.plan-name')).toHaveText('Professional')
  await nav(page, 'Team').click()
  const extra = `teammate-extra-${id}@example.test`
  expect(await invite(page, extra)).toBe('invited')
  invited.push(extra)

  // A downgrade that no longer fits is refused, naming what is over in words.
  await nav(page, 'Billing').click()
  dialog = await choosePlan(page, 'Switch to Starter', 'Switch to Starter?')
  await expect(dialog).toContainText('Starter applies on')
  await dialog.getByRole('button', { name: /^Switch on / }).click()
  const over = dialog.getByRole('alert').filter({ hasText: 'The workspace uses more than Starter allows' })
  await expect(over).toContainText(`Team seats: ${starterSeats + 1} members in use, Starter allows ${starterSeats} members.`)
  await dialog.getByRole('button', { name: 'Cancel' }).click()

  // Cancelling one invitation makes room; the downgrade is then scheduled for the period's end.
  await nav(page, 'Team').click()
  await page.getByRole('button', { name: `Cancel invite ${extra}` }).click()
  await page.getByRole('dialog', { name: 'Cancel invitation?' }).getByRole('button', { name: 'Cancel invitation' }).click()
  await expect(page.getByRole('row').filter({ hasText: extra })).toHaveCount(0)
  await nav(page, 'Billing').click()
  dialog = await choosePlan(page, 'Switch to Starter', 'Switch to Starter?')
  await dialog.getByRole('button', { name: /^Switch on / }).click()
  await expect(dialog).toBeHidden()
  const scheduled = page.getByRole('status').filter({ hasText: /^Moving to Starter on / })
  await expect(scheduled).toContainText('Until then the workspace stays on Professional')
  await expect(page.getByRole('article', { name: 'Starter plan' })).toContainText(/From /)

  // Keeping the current plan cancels the scheduled change.
  await scheduled.getByRole('button', { name: 'Keep Professional' }).click()
  await expect(scheduled).toBeHidden()
  await expect(page.locator('.plan-name')).toHaveText('Professional')
  await expect(page.getByRole('button', { name: 'Switch to Starter' })).toBeVisible()
})
