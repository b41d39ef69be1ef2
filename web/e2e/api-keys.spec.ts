import { expect, test } from '@playwright/test'

test('an admin creates an API key, sees its secret once, and revokes it', async ({ page, request }) => {
  const id = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`
  const business = `Keys ${id}`
  const keyName = `Zapier sync ${id}`

  // A fresh workspace: its owner is an admin.
  await page.goto('/app/signup')
  await page.getByLabel('Business name').fill(business)
  await page.getByLabel('Email').fill(`owner-${id}@example.test`)
  await page.getByLabel('Password').fill('correct horse battery')
  await page.getByRole('button', { name: 'Create workspace' }).click()
  await expect(page.getByRole('heading', { name: `Welcome to ${business}` })).toBeVisible()

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click()
  await expect(page.getByRole('heading', { name: 'API keys', level: 1 })).toBeVisible()
  await expect(page.getByText('No API keys yet')).toBeVisible()

  // Create a key with read and write scopes.
  await page.getByRole('button', { name: 'Create API key' }).click()
  const createDialog = page.getByRole('dialog', { name: 'Create API key' })
  await expect(createDialog).toContainText('never does more than your own role allows')
  await createDialog.getByLabel('Key name').fill(keyName)
  await createDialog.getByLabel('Write').check()
  await createDialog.getByRole('button', { name: 'Create key' }).click()

  // The secret is shown once, in a copy field.
  const secretDialog = page.getByRole('dialog', { name: 'API key created' })
  const secretField = secretDialog.getByLabel('Secret key')
  await expect(secretField).toHaveValue(/^sp_\S{16,}$/)
  const secret = await secretField.inputValue()

  // The secret really authenticates against the API.
  const me = await request.get('/api/v1/me', { headers: { Authorization: `Bearer ${secret}` } })
  expect(me.status()).toBe(200)
  expect((await me.json()).via).toBe('api_key')

  await secretDialog.getByRole('button', { name: "I've saved the secret" }).click()
  await expect(secretDialog).toBeHidden()

  // The list shows the key by its prefix, never the whole secret.
  const row = page.getByRole('row').filter({ hasText: keyName })
  await expect(row).toBeVisible()
  const shown = (await row.locator('code').innerText()).replace(/…$/, '')
  expect(shown.length).toBeGreaterThanOrEqual(4)
  expect(shown.length).toBeLessThan(secret.length)
  expect(secret.startsWith(shown)).toBe(true)
  await expect(page.getByText(secret)).toHaveCount(0)
  await expect(row.getByText('Active', { exact: true })).toBeVisible()

  // Revoke it, confirming in the dialog.
  await row.getByRole('button', { name: `Revoke ${keyName}` }).click()
  const confirm = page.getByRole('dialog', { name: 'Revoke API key?' })
  await expect(confirm).toContainText(shown)
  await confirm.getByRole('button', { name: 'Revoke key' }).click()
  await expect(confirm).toBeHidden()
  await expect(row.getByText('Revoked', { exact: true })).toBeVisible()
  await expect(row.getByRole('button', { name: `Revoke ${keyName}` })).toHaveCount(0)

  // A revoked key no longer authenticates.
  const after = await request.get('/api/v1/me', { headers: { Authorization: `Bearer ${secret}` } })
  expect(after.status()).toBe(401)
})
