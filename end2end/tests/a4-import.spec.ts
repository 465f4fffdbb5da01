// CSV import as a user does it: a file in the wrong encoding is refused with a message next to
// the file field; a good file's columns are mapped (custom field included), the preview shows
// the bad row and why, the import runs in the background with progress, and the result lists
// the created customers and the failed row. Then the whole import is reverted.
import { test, expect, hydrated, signIn, ADMIN } from './fixtures';

const GOOD = [
  'Company,Email address,Phone,Account number,Tags',
  'Harbour Lights Cafe,hello@harbourlights.example,+44 1632 960001,HL-10001,"coffee, seaside"',
  'Northwind Mill,not-an-email,+44 1632 960002,NM-10002,',
  'Quayside Books,books@quayside.example,+44 1632 960003,QB-10003,books',
].join('\n');

test('import a small CSV with one bad row, then revert it', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto('/customers');
  await hydrated(page);
  await page.getByRole('link', { name: 'Import CSV' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Import customers from a CSV file');
  await hydrated(page);

  // Latin-1 is not UTF-8: refused, with what to do about it next to the field.
  await page.getByLabel('CSV file').setInputFiles({
    name: 'latin1.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from([...Buffer.from('Name\nCaf'), 0xe9, ...Buffer.from('\n')]),
  });
  await page.getByRole('button', { name: 'Upload and map columns' }).click();
  await expect(page.locator('#field-file-error')).toContainText('not UTF-8');
  await expect(page.locator('#field-file-error')).toContainText('CSV UTF-8');
  await hydrated(page);

  await page.getByLabel('CSV file').setInputFiles({ name: 'cafes.csv', mimeType: 'text/csv', buffer: Buffer.from(GOOD) });
  await page.getByRole('button', { name: 'Upload and map columns' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Import: cafes.csv');
  await hydrated(page);

  // The guessed mapping, custom field included; the preview flags the bad row.
  await expect(page.getByLabel('Company')).toHaveValue('name');
  await expect(page.getByLabel('Email address')).toHaveValue('email');
  await expect(page.getByLabel('Account number')).toHaveValue('custom:account_number');
  const preview = page.getByRole('table', { name: 'Preview of the first rows' });
  await expect(preview.getByRole('row', { name: /Harbour Lights Cafe/ })).toContainText('Will create');
  const bad = preview.getByRole('row', { name: /Northwind Mill/ });
  await expect(bad).toContainText('Will fail');
  await expect(bad).toContainText('Email (column “Email address”)');

  // Mapping a field twice is refused next to the column, the choice kept.
  await page.getByLabel('Phone').selectOption('email');
  await page.getByRole('button', { name: 'Save mapping and update preview' }).click();
  await expect(page.locator('#col-2-error')).toContainText('already taken by column “Email address”');
  await expect(page.getByLabel('Phone')).toHaveValue('email');
  await page.getByLabel('Phone').selectOption('phone');

  await page.getByRole('button', { name: 'Import 3 rows' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Finished' })).toBeVisible({ timeout: 20_000 });
  const tiles = page.locator('.tiles');
  await expect(tiles.locator('.tile', { hasText: 'Created' })).toContainText('2');
  await expect(tiles.locator('.tile', { hasText: 'Failed' })).toContainText('1');
  const rows = page.getByRole('table', { name: 'What happened to each row' });
  await expect(rows.getByRole('row')).toHaveCount(2);
  await expect(rows.getByRole('row').nth(1)).toContainText('Failed');
  await expect(rows.getByRole('row').nth(1)).toContainText('Email (column “Email address”)');

  await page.getByRole('link', { name: 'Created', exact: true }).click();
  await expect(rows.getByRole('row')).toHaveCount(3);
  await rows.getByRole('link', { name: 'Quayside Books' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Quayside Books');
  await expect(page.getByRole('region', { name: 'Profile' })).toContainText('QB-10003');
  await page.goBack();
  await expect(page.getByRole('heading', { level: 2, name: 'Finished' })).toBeVisible();
  await hydrated(page);

  await page.getByText('Revert this import').click();
  await page.getByRole('button', { name: 'Revert the whole import' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Reverted' })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByRole('status').filter({ hasText: 'Reverted: 2 rows undone' })).toBeVisible();

  await page.goto('/customers?q=quayside');
  await expect(page.getByText('No customers match.')).toBeVisible();
});
