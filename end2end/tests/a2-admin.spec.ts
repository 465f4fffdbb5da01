// An admin invites a user; the user sets a password from the emailed link (read from the
// dev mailbox, as no SMTP is configured) and signs in; a member cannot open admin pages.
import { test, expect, openHydrated, hydrated, signIn, ADMIN, MEMBER } from './fixtures';

test.describe.serial('admin invites a user', () => {
  test('the invited user sets a password from the link and signs in', async ({ page, browser }) => {
    await signIn(page, ADMIN);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Users');
    await hydrated(page);
    await page.getByLabel('Name', { exact: true }).fill(MEMBER.name);
    await page.getByLabel('Email').fill(MEMBER.email);
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await expect(page.getByText('Invitation queued')).toBeVisible();
    await expect(page.getByRole('cell', { name: `${MEMBER.name} ${MEMBER.email}` })).toBeVisible();
    await expect(page.getByRole('button', { name: `Deactivate ${MEMBER.name}` })).toBeVisible();

    await openHydrated(page, '/admin/mailbox');
    await expect(page.getByText('Mail is not being delivered')).toBeVisible();
    await expect(page.getByText('This page is a development aid: it shows live sign-in links')).toBeVisible();
    const mail = page.getByRole('article', { name: `Email to ${MEMBER.email}` });
    await mail.getByText('Show message').click();
    const body = await mail.locator('.mail-body').innerText();
    const link = body.match(/http\S+accept-invite\?token=\S+/)![0];

    const context = await browser.newContext();
    const guest = await context.newPage();
    await guest.goto(link);
    await hydrated(guest);
    await expect(guest.getByText(`Hello ${MEMBER.name}`)).toBeVisible();
    await guest.getByLabel('New password').fill('noor-1234567');
    await guest.getByRole('button', { name: 'Set password and sign in' }).click();
    await expect(guest.locator('#field-password-error')).toContainText('name or email');
    await guest.getByLabel('New password').fill(MEMBER.password);
    await guest.getByRole('button', { name: 'Set password and sign in' }).click();
    await expect(guest.getByRole('heading', { level: 1 })).toContainText('Good to see you, Noor');

    // A member cannot open an admin page, and sees no admin navigation.
    await guest.goto('/admin/users');
    await expect(guest.getByRole('heading', { level: 1 })).toHaveText('Not available to your role');
    await expect(guest.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' })).toHaveCount(0);
    await context.close();
  });
});

test.describe.serial('admin pages', () => {
  test('every admin page hydrates on a full load, and an admin creates a team', async ({ page }) => {
    await signIn(page, ADMIN);
    for (const [path, title] of [['/admin/users', 'Users'], ['/admin/teams', 'Teams'], ['/admin/mailbox', 'Mailbox'], ['/admin/audit', 'Audit log'], ['/admin/stages', 'Lifecycle stages'], ['/admin/fields', 'Custom fields'], ['/admin/fields/new', 'New custom field'], ['/customers', 'Customers'], ['/profile', 'Your profile']]) {
      await openHydrated(page, path);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(title);
    }
    await openHydrated(page, '/admin/teams');
    await page.getByLabel('Team name').fill('North Region');
    await page.getByRole('button', { name: 'Create team' }).click();
    await expect(page.getByRole('article', { name: 'Team North Region' })).toBeVisible();
    await page.getByLabel('Team name').fill('North Region');
    await page.getByRole('button', { name: 'Create team' }).click();
    await expect(page.locator('#field-name-error')).toContainText('already exists');
    await expect(page.getByLabel('Team name')).toHaveValue('North Region');
    await openHydrated(page, '/admin/audit');
    await expect(page.getByRole('cell', { name: /team\.create/ })).toBeVisible();
  });
});
