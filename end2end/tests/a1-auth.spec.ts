// First-run setup, then sign-out and sign-in with a wrong then a right password.
import { test, expect, openHydrated, hydrated, ADMIN } from './fixtures';
import { SETUP_TOKEN } from '../shared';

test.describe.serial('1 signing in', () => {
  test('the first visit leads to setup, which creates the first admin', async ({ page }) => {
    await openHydrated(page, '/');
    await expect(page).toHaveURL(/\/setup$/);
    // Without the token from the server's log, setup is refused.
    await page.getByLabel('Setup token').fill('a guess');
    await page.getByLabel('Your name').fill(ADMIN.name);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await expect(page.locator('#field-setup_token-error')).toContainText('setup token');
    await expect(page.getByLabel('Email')).toHaveValue(ADMIN.email);
    await page.getByLabel('Setup token').fill(SETUP_TOKEN);
    await page.getByLabel('Your name').fill(ADMIN.name);
    await page.getByLabel('Email').fill(ADMIN.email);
    // Passes the browser's hints (long enough) but not the server's rule.
    await page.getByLabel('Password').fill('okafor-rules-2026');
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await expect(page.locator('#field-password-error')).toContainText('name or email');
    await expect(page.getByLabel('Your name')).toHaveValue(ADMIN.name);
    await expect(page.getByLabel('Email')).toHaveValue(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toContainText('Good to see you, Ada');
    await expect(page).toHaveURL(/\/$/);
  });

  test('sign out, then a wrong password is refused and the right one signs in', async ({ page }) => {
    await openHydrated(page, '/signin');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill('definitely-wrong-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.locator('#field-password-error')).toContainText('not right');
    await expect(page.getByLabel('Email')).toHaveValue(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toContainText('Good to see you');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/signin/);
    await hydrated(page);
    await page.goto('/');
    await expect(page).toHaveURL(/\/signin/);
  });

  test('signing in works without JavaScript too', async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto('/signin');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill('definitely-wrong-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.locator('#field-password-error')).toContainText('not right');
    await expect(page.getByLabel('Email')).toHaveValue(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toContainText('Good to see you');
    await context.close();
  });
});
