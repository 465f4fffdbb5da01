// The CRM core as frontline staff use it: create a customer (a server-side validation error
// keeps what was typed), find it in the list, log an interaction, schedule a follow-up, then
// complete it and schedule the next one in one form; export the filtered list as CSV.
import * as fs from 'fs';
import { test, expect, openHydrated, hydrated, signIn, ADMIN } from './fixtures';

/** `days` from today at 10:00 as the datetime-local input value, as the customer page shows it
 * and as the list shows it. */
function dayAt10(days: number): { input: string; shown: string; listed: string } {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + days));
  const pad = (n: number) => String(n).padStart(2, '0');
  const input = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T10:00`;
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  // The list leaves the year out within the current year.
  const year = d.getUTCFullYear() === now.getUTCFullYear() ? '' : ` ${d.getUTCFullYear()}`;
  return {
    input,
    shown: `${weekday} ${d.getUTCDate()} ${month} ${d.getUTCFullYear()}, 10:00`,
    listed: `${weekday} ${d.getUTCDate()} ${month}${year}, 10:00`,
  };
}

test.describe.serial('customers', () => {
  test('create with a validation error, log an interaction, complete a follow-up and schedule the next', async ({ page }) => {
    await signIn(page, ADMIN);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Customers' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Customers');
    await hydrated(page);
    await page.getByRole('link', { name: 'New customer' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('New customer');

    // The browser cannot tell that this is no phone number; the server can, and keeps the input.
    await page.getByLabel('Name').fill('Brightwater Bakery');
    await page.getByLabel('Email').fill('orders@brightwater.example');
    await page.getByLabel('Phone').fill('ask at reception');
    await page.getByLabel('Tags').fill('wholesale, referral');
    await page.getByRole('button', { name: 'Create customer' }).click();
    await expect(page.locator('#field-phone-error')).toContainText('phone number of 5 to 20 digits');
    await expect(page.getByLabel('Name')).toHaveValue('Brightwater Bakery');
    await expect(page.getByLabel('Email')).toHaveValue('orders@brightwater.example');
    await expect(page.getByLabel('Tags')).toHaveValue('wholesale, referral');
    await expect(page.getByLabel('Phone')).toHaveValue('ask at reception');

    await page.getByLabel('Phone').fill('+44 20 7946 0321');
    await page.getByRole('button', { name: 'Create customer' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Brightwater Bakery');
    await hydrated(page);
    await expect(page.getByRole('link', { name: 'orders@brightwater.example' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'wholesale' })).toBeVisible();

    // Log an interaction: it heads the timeline.
    const timeline = page.getByRole('region', { name: 'Timeline' });
    await timeline.getByLabel('Type').selectOption('meeting');
    await timeline.getByLabel('Summary').fill('Tasting session for the spring menu');
    await timeline.getByLabel('Outcome').fill('They want a quote for 40 loaves a day');
    await timeline.getByRole('button', { name: 'Log interaction' }).click();
    const entry = timeline.getByRole('listitem').first();
    await expect(entry).toContainText('Tasting session for the spring menu');
    await expect(entry).toContainText('Outcome: They want a quote for 40 loaves a day');
    await expect(entry).toContainText('Meeting');
    await expect(timeline.getByLabel('Summary')).toHaveValue('');

    // Schedule a follow-up for tomorrow at 10:00.
    const followUps = page.getByRole('region', { name: 'Follow-ups' });
    const first = dayAt10(1);
    await followUps.getByLabel('Due').fill(first.input);
    await followUps.getByLabel('Note', { exact: true }).fill('Send the quote');
    await followUps.getByRole('button', { name: 'Schedule' }).click();
    const open = followUps.locator('ul.follow-ups > li');
    await expect(open).toHaveCount(1);
    await expect(open.first()).toContainText(first.shown);
    await expect(open.first()).toContainText('Send the quote');

    // Done, and the next one scheduled in the same form.
    const next = dayAt10(8);
    await open.first().getByText('Done, and schedule the next one').click();
    await open.first().getByLabel('Next follow-up').fill(next.input);
    await open.first().getByLabel('Note for next time').fill('Ask how the first week went');
    await open.first().getByRole('button', { name: 'Done and schedule' }).click();
    await expect(open).toHaveCount(1);
    await expect(open.first()).toContainText(next.shown);
    await expect(open.first()).toContainText('Ask how the first week went');
    await followUps.getByText('Past follow-ups (1)').click();
    await expect(followUps.getByText('Send the quote')).toBeVisible();

    // The list finds it by search, and shows its next follow-up.
    await openHydrated(page, '/customers?q=brightwater');
    const row = page.getByRole('row', { name: /Brightwater Bakery/ });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText(next.listed);

    // Export what the list shows: the download holds the customer, its phone neutralised.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^customers-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    const lines = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain("Brightwater Bakery,Organisation,orders@brightwater.example,'+44 20 7946 0321");

    await row.getByRole('link', { name: 'Brightwater Bakery' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Brightwater Bakery');
  });

  test('a near-identical name is flagged with a link to the other customer', async ({ page }) => {
    await signIn(page, ADMIN);
    await openHydrated(page, '/customers/new');
    await page.getByLabel('Name').fill('Brightwater  bakery');
    await page.getByRole('button', { name: 'Create customer' }).click();
    await expect(page.getByRole('link', { name: 'open Brightwater Bakery' })).toBeVisible();
    await expect(page.getByLabel('Name')).toHaveValue('Brightwater  bakery');
    await page.getByLabel('This is a different customer').check();
    await page.getByLabel('Name').fill('Brightwater Bakery (Leeds)');
    await page.getByRole('button', { name: 'Create customer' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Brightwater Bakery (Leeds)');
  });

  test('an admin defines a custom field; the customer form checks it and the profile shows it', async ({ page }) => {
    await signIn(page, ADMIN);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Fields' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Custom fields');
    await hydrated(page);
    await page.getByRole('link', { name: 'New field' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('New custom field');
    await page.getByLabel('Label').fill('Account number');
    await page.getByLabel('Pattern (text)').fill('[A-Z]{2}-[0-9]{5}');
    await page.getByLabel('Required').check();
    await page.getByLabel('Fresh for (days)').fill('0');
    await page.getByRole('button', { name: 'Create field' }).click();
    await expect(page.locator('#field-freshness_days-error')).toContainText('from 1 to 3650');
    await expect(page.locator('#field-pattern_example-error')).toContainText('Give an example');
    await expect(page.getByLabel('Pattern (text)')).toHaveValue('[A-Z]{2}-[0-9]{5}');
    await page.getByLabel('Example (with a pattern)').fill('AB-12345');
    await page.getByLabel('Fresh for (days)').fill('');
    await page.getByRole('button', { name: 'Create field' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Custom fields');
    await expect(page.getByRole('article', { name: 'Account number' })).toContainText('account_number');
    await expect(page.getByRole('article', { name: 'Account number' })).toContainText('like AB-12345');

    await openHydrated(page, '/customers/new');
    await page.getByLabel('Name').fill('Juniper Joinery');
    await page.getByLabel('Account number (required)').fill('JJ-12');
    await page.getByRole('button', { name: 'Create customer' }).click();
    // The message and the hint show the admin's example, never the regular expression.
    await expect(page.locator('#field-cf_account_number-error')).toHaveText('Enter it in the form AB-12345.');
    await expect(page.locator('#field-cf_account_number-hint')).toContainText('In the form AB-12345.');
    await expect(page.getByLabel('Name')).toHaveValue('Juniper Joinery');
    await expect(page.getByLabel('Account number (required)')).toHaveValue('JJ-12');
    await page.getByLabel('Account number (required)').fill('JJ-12345');
    await page.getByRole('button', { name: 'Create customer' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Juniper Joinery');
    const profile = page.getByRole('region', { name: 'Profile' });
    await expect(profile).toContainText('JJ-12345');
    await expect(profile).toContainText(`Confirmed by ${ADMIN.name}`);
  });
});
