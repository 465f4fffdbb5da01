// Hostile text as a user would type it: a customer named with a meta-refresh payload and notes
// that try to close the textarea. Opening its page, its edit form, and a crafted no-JavaScript
// error link must neither navigate away nor inject anything, and hydration reports no error
// (the fixture fails the test on any console or page error).
import { test, expect, hydrated, signIn, ADMIN } from './fixtures';

const REFRESH = '</title><meta http-equiv="refresh" content="0;url=/signin?hijacked=1">';
const BREAKOUT = '</textarea><meta http-equiv="refresh" content="0;url=/signin?hijacked=2"><a id="injected" href="/x">x</a>';

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

test.describe.serial('hostile text', () => {
  test('a meta-refresh name and a textarea breakout stay text on every page that shows them', async ({ page }) => {
    await signIn(page, ADMIN);
    // Through the app's own links, as a3 does: the page is rendered once its area has loaded.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Customers' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Customers');
    await hydrated(page);
    await page.getByRole('link', { name: 'New customer' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('New customer');
    await page.getByLabel('Name').fill(REFRESH);
    await page.getByLabel('Notes').fill(BREAKOUT);
    // After a3, a required custom field exists.
    const account = page.getByLabel('Account number (required)');
    if (await account.count()) await account.fill('HX-00001');
    await page.getByRole('button', { name: 'Create customer' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(REFRESH);
    const url = page.url();
    expect(url).toMatch(/\/customers\/\d+$/);

    for (const path of [url, `${url}/edit`]) {
      await page.goto(path);
      await hydrated(page);
      // Longer than the refresh would take.
      await page.waitForTimeout(1500);
      expect(page.url()).toBe(path);
      await expect(page).toHaveTitle(path === url ? `${REFRESH} · Rapport` : 'Edit customer · Rapport');
      await expect(page.locator('#injected')).toHaveCount(0);
      await expect(page.locator('meta[http-equiv="refresh"]')).toHaveCount(0);
    }
    // The edit form shows the notes exactly as typed.
    await expect(page.getByLabel('Notes')).toHaveValue(BREAKOUT);

    // A crafted link carrying the payload in the no-JavaScript error parameter.
    const error = { Validation: { message: BREAKOUT, fields: { notes: BREAKOUT }, values: { notes: BREAKOUT, name: REFRESH } } };
    const crafted = `${url}/edit?__path=${encodeURIComponent('/api/crm/update_customer')}&__err=${encodeURIComponent(base64url(JSON.stringify(error)))}`;
    await page.goto(crafted);
    await hydrated(page);
    await page.waitForTimeout(1500);
    expect(page.url()).toBe(crafted);
    await expect(page.locator('#injected')).toHaveCount(0);
    await expect(page.locator('meta[http-equiv="refresh"]')).toHaveCount(0);
    await expect(page.getByLabel('Notes')).toHaveValue(BREAKOUT);
  });
});
