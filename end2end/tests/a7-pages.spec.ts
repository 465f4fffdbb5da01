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

  test('a page preloads only the code it needs and prefetches the other areas while idle, none when the browser saves data', async ({ page }) => {
    await signIn(page, ADMIN);
    /** The wasm files a page's head names with `rel`, by file name. */
    const wasm = async (path: string, rel: string, headers: Record<string, string> = {}) => {
      const html = await (await page.request.get(path, { headers })).text();
      const head = html.slice(0, html.indexOf('</head>'));
      return [...head.matchAll(/<link\b[^>]*>/g)]
        .map((m) => m[0])
        .filter((tag) => new RegExp(`\\brel="${rel}"`).test(tag))
        .map((tag) => /\bhref="([^"]+)"/.exec(tag)?.[1] ?? '')
        .filter((href) => href.endsWith('.wasm'))
        .map((href) => href.split('/').pop() ?? '');
    };
    const areas = ['account', 'home', 'customers', 'processes', 'admin'];
    for (const [path, own] of [['/customers', 'customers'], ['/processes', 'processes'], ['/admin/users', 'admin'], ['/', 'home'], ['/profile', 'account']]) {
      const preload = await wasm(path, 'preload');
      const prefetch = await wasm(path, 'prefetch');
      // Its own area's chunk is needed to hydrate: preloaded, not prefetched.
      expect(preload.some((f) => f.startsWith(`split_${own}_area_`)), `${path} preloads its area`).toBe(true);
      expect(prefetch.some((f) => f.startsWith(`split_${own}_area_`)), `${path} prefetches its area`).toBe(false);
      // Every other area's is fetched later, and nothing is named both ways.
      for (const area of areas.filter((a) => a !== own)) {
        expect(prefetch.some((f) => f.startsWith(`split_${area}_area_`)), `${path} prefetches ${area}`).toBe(true);
        expect(preload.some((f) => f.startsWith(`split_${area}_area_`)), `${path} preloads ${area}`).toBe(false);
      }
      expect(preload.filter((f) => prefetch.includes(f))).toEqual([]);
    }
    // The browser does fetch them once the page is loaded.
    const idle = page.waitForRequest((req) => /\/pkg\/split_admin_area_[^/]*\.wasm$/.test(req.url()));
    await page.goto('/customers');
    await hydrated(page);
    await idle;

    // The sign-in page is in the first wasm: it preloads only that, and prefetches the areas.
    await page.context().clearCookies();
    expect((await wasm('/signin', 'preload')).filter((f) => !/^rapport[^/]*\.wasm$/.test(f))).toEqual([]);
    expect((await wasm('/signin', 'prefetch')).some((f) => f.startsWith('split_customers_area_'))).toBe(true);
    // A browser asking to save data gets no prefetches.
    expect(await wasm('/signin', 'prefetch', { 'Save-Data': 'on' })).toEqual([]);
  });
});
