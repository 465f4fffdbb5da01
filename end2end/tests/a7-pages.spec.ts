// The pages as a new user meets them: moving between pages with JavaScript.
import { test, expect, hydrated, signIn, ADMIN } from './fixtures';

test.describe.serial('pages', () => {
  test('moving to another page keeps the old one and shows a loading bar until the new one is ready', async ({ page }) => {
    await signIn(page, ADMIN);
    await hydrated(page);
    // The customer list's data is held back, as on a slow network.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/crm/list_customers*', async (route) => {
      await held;
      await route.continue();
    });
    const bar = page.getByRole('progressbar', { name: 'Loading the page' });
    await expect(bar).toBeHidden();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Customers' }).click();
    await expect(bar).toBeVisible();
    await expect(page.getByRole('heading', { level: 1 })).toContainText('Good to see you');
    await expect(page.locator('.loading')).toHaveCount(0);
    release();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Customers');
    await expect(bar).toBeHidden();
  });
});
