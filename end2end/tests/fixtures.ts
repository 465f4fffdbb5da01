// Shared helpers: every test fails on any page error or console error, and waits for
// hydration before it clicks (a click before hydration is lost).
import { test as base, expect, Page } from '@playwright/test';

export const test = base.extend<{ page: Page }>({
  page: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(`pageerror at ${page.url()}: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/status of 4\d\d/.test(msg.text())) errors.push(`console at ${page.url()}: ${msg.text().slice(0, 300)}`);
    });
    await use(page);
    expect(errors, 'the browser reported errors').toEqual([]);
  },
});

export { expect };

/** Opens `path` and waits until the wasm has hydrated the page. */
export async function openHydrated(page: Page, path: string) {
  await page.goto(path);
  await hydrated(page);
}

export async function hydrated(page: Page) {
  await expect(page.locator('.app[data-hydrated="true"]')).toBeVisible();
}

export const ADMIN = { name: 'Ada Okafor', email: 'ada@example.org', password: 'tulip-orbit-4471' };
/** The member the admin test invites and the manager the processes test invites. */
export const MEMBER = { name: 'Noor Haddad', email: 'noor@example.org', password: 'lantern-quartz-6620' };
export const MANAGER = { name: 'Mara Quist', email: 'mara@example.org', password: 'copper-violet-3381' };

/** Signs in through the sign-in page and waits for the home page. */
export async function signIn(page: Page, who: { email: string; password: string }) {
  await openHydrated(page, '/signin');
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Good to see you');
}
