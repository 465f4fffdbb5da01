// The pages as a new user meets them: moving between pages with JavaScript.
import { test, expect, hydrated, signIn, ADMIN } from './fixtures';

/** A gate that holds requests matching `pattern` until it is opened. */
async function hold(page: import('@playwright/test').Page, pattern: string): Promise<() => void> {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  await page.route(pattern, async (route) => {
    await opened;
    await route.continue();
  });
  return open;
}

test.describe('pages', () => {
  test('moving to another area keeps the old page with a loading bar until its code is there, then shows the new page loading its data', async ({ page }) => {
    await signIn(page, ADMIN);
    await hydrated(page);
    // The customers area's code and the customer list's data are held back, as on a slow network.
    const releaseCode = await hold(page, '**/pkg/split_customers_area_*');
    const releaseData = await hold(page, '**/api/crm/list_customers*');
    const bar = page.getByRole('progressbar', { name: 'Loading the page' });
    const heading = page.getByRole('heading', { level: 1 });
    await expect(bar).toBeHidden();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Customers' }).click();
    // While the code loads: the old page stays, with the bar over it.
    await expect(bar).toBeVisible();
    await expect(heading).toContainText('Good to see you');
    await page.waitForTimeout(500);
    await expect(heading).toContainText('Good to see you');
    await expect(bar).toBeVisible();
    // The code is there: the new page, saying it is loading its list.
    releaseCode();
    await expect(heading).toHaveText('Customers');
    await expect(page.getByRole('status').filter({ hasText: 'Loading customers' })).toBeVisible();
    await expect(bar).toBeHidden();
    // The data is there: the list.
    releaseData();
    await expect(page.getByRole('table', { name: 'Customers' })).toBeVisible();
    await expect(page.locator('.loading')).toHaveCount(0);
  });

  test('a page opened by its address keeps its title while its code loads, and is hydrated only once that code is there', async ({ page }) => {
    await signIn(page, ADMIN);
    const releaseCode = await hold(page, '**/pkg/split_customers_area_*');
    const shell = page.waitForResponse((res) => /\/pkg\/rapport[^/]*\.wasm$/.test(res.url()));
    await page.goto('/customers', { waitUntil: 'domcontentloaded' });
    await shell;
    // The shell has its code and hydrates; the page's is held back.
    await page.waitForTimeout(700);
    expect(await page.title()).toBe('Customers · Rapport');
    await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'false');
    releaseCode();
    await hydrated(page);
    expect(await page.title()).toBe('Customers · Rapport');
  });

  test('the customer list uses the width it is given at 1280 px, and stays cards at 375 px', async ({ page }) => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await signIn(page, ADMIN);
    await page.goto('/customers');
    await hydrated(page);
    const wrap = page.locator('.table-wrap').first();
    await expect(page.getByRole('table', { name: 'Customers' })).toBeVisible();
    // The column is wider than the old 72rem (1,152 px) cap, and no column is behind a scroll.
    const sizes = await wrap.evaluate((el) => ({ width: el.clientWidth, scroll: el.scrollWidth }));
    expect(sizes.width).toBeGreaterThan(1200);
    expect(sizes.scroll).toBeLessThanOrEqual(sizes.width);
    // Owner and team: two lines at most, never wrapped.
    const owners = await page.locator('td[data-label="Owner"]').evaluateAll((cells) =>
      cells.map((td) => {
        const style = getComputedStyle(td);
        const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
        const inner = td.getBoundingClientRect().height - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
        return Math.round(inner / line);
      }));
    expect(owners.length).toBeGreaterThan(0);
    for (const lines of owners) expect(lines).toBeLessThanOrEqual(2);

    await page.setViewportSize({ width: 375, height: 812 });
    // Cards: the header row is out of sight, each cell is labelled, nothing scrolls sideways.
    await expect(page.locator('table.responsive thead')).toHaveCSS('position', 'absolute');
    await expect(page.locator('td[data-label="Owner"]').first()).toHaveCSS('display', 'flex');
    const phone = await wrap.evaluate((el) => ({ width: el.clientWidth, scroll: el.scrollWidth }));
    expect(phone.scroll).toBeLessThanOrEqual(phone.width);
  });
});
