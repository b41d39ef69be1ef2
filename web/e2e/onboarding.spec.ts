import { expect, test } from '@playwright/test'

test('a new owner signs up, logs in, invites a member and sees it in the audit log', async ({ page }) => {
  const id = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`
  const owner = `owner-${id}@example.test`
  const invitee = `teammate-${id}@example.test`
  const password = 'correct horse battery'
  const business = `Bakery ${id}`

  // Sign up: creates the workspace and lands on the overview.
  await page.goto('/app/signup')
  await page.getByLabel('Business name').fill(business)
  await page.getByLabel('Email').fill(owner)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Create workspace' }).click()
  await expect(page.getByRole('heading', { name: `Welcome to ${business}` })).toBeVisible()
  await expect(page.getByRole('banner').getByText(owner)).toBeVisible()

  // Sign out from the account page.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click()
  await page.getByRole('button', { name: 'Sign out' }).click()
  await expect(page).toHaveURL(/\/app\/login/)

  // Sign back in.
  await page.getByLabel('Email').fill(owner)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('heading', { name: `Welcome to ${business}` })).toBeVisible()

  // Invite a teammate and get a shareable link.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Team' }).click()
  await expect(page.getByRole('heading', { name: 'Team', level: 1 })).toBeVisible()
  await page.getByLabel('Email address').fill(invitee)
  await page.getByLabel('Role', { exact: true }).selectOption('member')
  await page.getByRole('button', { name: 'Send invite' }).click()
  const link = page.getByLabel('Invite link', { exact: true })
  await expect(link).toBeVisible()
  await expect(link).toHaveValue(/\/app\/accept-invite\?token=.+/)
  const row = page.getByRole('row').filter({ hasText: invitee })
  await expect(row.getByText('Invited', { exact: true })).toBeVisible()

  // The invitation is in the audit log under a readable label.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click()
  await expect(page.getByRole('heading', { name: 'Audit log', level: 1 })).toBeVisible()
  const entry = page.getByRole('row').filter({ hasText: /invited/i }).filter({ hasText: 'member.invited' })
  await expect(entry.first()).toBeVisible()
  await expect(entry.first().getByText('Member invited')).toBeVisible()
})
