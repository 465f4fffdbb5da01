// A guided process end to end: an admin builds and publishes a process with a data step and
// an approval; a member runs it on a customer and is refused on a bad value (input kept), then
// completes the step; the manager rejects, the member reworks the step, the manager approves;
// the run completes and shows on the customer page.
import { Browser, Page } from '@playwright/test';
import { test, expect, openHydrated, hydrated, signIn, ADMIN, MANAGER, MEMBER } from './fixtures';
const PROCESS = 'Key account onboarding';

/** A fresh signed-in page for `who`, in its own browser context. */
async function as(browser: Browser, who: { email: string; password: string }): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, who);
  return page;
}

test.describe.serial('guided processes', () => {
  test('an admin builds and publishes a process; a member, rework and a manager run it to the end', async ({ page, browser }) => {
    test.setTimeout(180_000);
    await signIn(page, ADMIN);

    // The manager of North Region is invited; the member joins that team.
    await openHydrated(page, '/admin/users');
    await page.getByLabel('Name', { exact: true }).fill(MANAGER.name);
    await page.getByLabel('Email').fill(MANAGER.email);
    await page.locator('#invite-role').selectOption('manager');
    await page.locator('#invite-team').selectOption({ label: 'North Region' });
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await expect(page.getByText('Invitation queued')).toBeVisible();
    // The list reloads with the invitee; only then is Noor's row the one that stays.
    await expect(page.getByRole('cell', { name: `${MANAGER.name} ${MANAGER.email}` })).toBeVisible();
    const noorRow = page.getByRole('row').filter({ hasText: MEMBER.email });
    await noorRow.getByLabel(`Team of ${MEMBER.name}`).selectOption({ label: 'North Region' });
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/admin/update_user') && r.status() === 200);
    await noorRow.getByRole('button', { name: 'Save' }).click();
    await saved;
    await openHydrated(page, '/admin/users');
    await expect(page.getByRole('row').filter({ hasText: MEMBER.email }).getByLabel(`Team of ${MEMBER.name}`)).toHaveValue(/\d+/);
    await openHydrated(page, '/admin/mailbox');
    const mail = page.getByRole('article', { name: `Email to ${MANAGER.email}` });
    await mail.getByText('Show message').click();
    const link = (await mail.locator('.mail-body').innerText()).match(/http\S+accept-invite\?token=\S+/)![0];
    const invited = await (await browser.newContext()).newPage();
    await invited.goto(link);
    await hydrated(invited);
    await invited.getByLabel('New password').fill(MANAGER.password);
    await invited.getByRole('button', { name: 'Set password and sign in' }).click();
    await expect(invited.getByRole('heading', { level: 1 })).toContainText('Good to see you, Mara');
    await invited.context().close();

    // The admin builds the process: a data step and a manager's approval, then publishes it.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Processes' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Processes');
    await hydrated(page);
    await page.getByLabel('Name').fill(PROCESS);
    await page.getByLabel('Goal').fill('Every key account has reachable contacts and a manager-checked set-up.');
    await page.getByRole('button', { name: 'Create and add steps' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`${PROCESS} — version 1`);
    await hydrated(page);
    const stepForm = page.getByRole('region', { name: 'Add a step' });
    await stepForm.getByLabel('Title').fill('Record the contact details');
    await stepForm.getByLabel('Kind').selectOption('data');
    await stepForm.getByLabel('Guidance').fill('Ask for a direct line, not the switchboard.');
    await stepForm.getByLabel('Email', { exact: true }).check();
    await stepForm.getByLabel('Phone', { exact: true }).check();
    await stepForm.getByRole('button', { name: 'Add step' }).click();
    await expect(page.getByRole('listitem', { name: 'Record the contact details' })).toBeVisible();
    await hydrated(page);
    const second = page.getByRole('region', { name: 'Add a step' });
    // The form is empty again, focus on Title: the next step inherits nothing from this one.
    await expect(second.getByLabel('Title')).toHaveValue('');
    await expect(second.getByLabel('Title')).toBeFocused();
    await expect(second.getByLabel('Kind')).toHaveValue('task');
    await expect(second.getByLabel('Guidance')).toHaveValue('');
    await expect(second.getByLabel('Email', { exact: true })).not.toBeChecked();
    await second.getByLabel('Title').fill('Manager sign-off');
    await second.getByLabel('Kind').selectOption('approval');
    await second.getByLabel('Assignee').selectOption('role');
    await second.getByLabel('Role (for a role)').selectOption('manager');
    await second.getByRole('button', { name: 'Add step' }).click();
    await expect(page.getByRole('listitem', { name: 'Manager sign-off' })).toBeVisible();
    await page.getByRole('button', { name: 'Publish version 1' }).click();
    await expect(page.getByText('Published', { exact: true })).toBeVisible();

    // The member starts it on their customer.
    const noor = await as(browser, MEMBER);
    await openHydrated(noor, '/customers/new');
    await noor.getByLabel('Name').fill('Lakeside Dental');
    // The required custom field an earlier test defined.
    await noor.getByLabel('Account number (required)').fill('LD-20261');
    await noor.getByRole('button', { name: 'Create customer' }).click();
    await expect(noor.getByRole('heading', { level: 1 })).toHaveText('Lakeside Dental');
    await hydrated(noor);
    const customerUrl = noor.url();
    const processes = noor.getByRole('region', { name: 'Processes' });
    await processes.getByLabel('Start a process').selectOption({ label: PROCESS });
    await processes.getByRole('button', { name: 'Start' }).click();
    await expect(noor.getByRole('heading', { level: 1 })).toHaveText(`${PROCESS} for Lakeside Dental`);
    await hydrated(noor);
    await expect(noor.getByText('Every key account has reachable contacts')).toBeVisible();
    const dataStep = noor.getByRole('listitem', { name: 'Record the contact details' });
    await dataStep.getByLabel('Email').fill('front-desk@lakeside.example');
    await dataStep.getByLabel('Phone').fill('ask at reception');
    await dataStep.getByRole('button', { name: 'Save and complete' }).click();
    await expect(dataStep.locator('.field-error')).toContainText('phone number of 5 to 20 digits');
    await expect(dataStep.getByLabel('Email')).toHaveValue('front-desk@lakeside.example');
    await expect(dataStep.getByLabel('Phone')).toHaveValue('ask at reception');
    await dataStep.getByLabel('Phone').fill('+44 161 496 0000');
    await dataStep.getByRole('button', { name: 'Save and complete' }).click();
    await expect(dataStep).toContainText(`Done by ${MEMBER.name}`);
    const approval = noor.getByRole('listitem', { name: 'Manager sign-off' });
    await expect(approval).toContainText("Only a manager of the customer's team can do this step.");
    const runUrl = noor.url();

    // The manager finds the approval on "My day" and rejects it with a reason.
    const mara = await as(browser, MANAGER);
    await mara.getByRole('link', { name: 'Approve: Manager sign-off' }).click();
    await expect(mara.getByRole('heading', { level: 1 })).toHaveText(`${PROCESS} for Lakeside Dental`);
    await hydrated(mara);
    const decide = mara.getByRole('listitem', { name: 'Manager sign-off' });
    await decide.getByLabel('Reason for rejecting').fill('Give the practice manager\'s direct line');
    await decide.getByRole('button', { name: 'Reject' }).click();
    await expect(decide).toContainText(`Rejected by ${MANAGER.name}`);
    await expect(mara.getByRole('listitem', { name: 'Record the contact details' })).toContainText('Reopened 1×');

    // The member reworks the step; the manager approves; the run is complete.
    await openHydrated(noor, runUrl);
    const rework = noor.getByRole('listitem', { name: 'Record the contact details' });
    await expect(rework.getByLabel('Phone')).toHaveValue('+44 161 496 0000');
    await rework.getByLabel('Phone').fill('+44 161 496 0123');
    await rework.getByRole('button', { name: 'Save and complete' }).click();
    await expect(rework).toContainText(`Done by ${MEMBER.name}`);

    await openHydrated(mara, runUrl);
    await mara.getByRole('listitem', { name: 'Manager sign-off' }).getByRole('button', { name: 'Approve' }).click();
    await expect(mara.getByRole('listitem', { name: 'Manager sign-off' })).toContainText(`Approved by ${MANAGER.name}`);
    await expect(mara.locator('.page-header')).toContainText('Completed');
    await expect(mara.locator('.page-header')).toContainText('2 of 2 steps');

    await openHydrated(noor, customerUrl);
    const runs = noor.getByRole('region', { name: 'Processes' });
    await expect(runs.getByRole('link', { name: PROCESS })).toBeVisible();
    await expect(runs).toContainText('Completed');
    // The data step wrote the phone number to the customer's profile.
    await expect(noor.getByRole('link', { name: '+44 161 496 0123' })).toBeVisible();
    await noor.context().close();
    await mara.context().close();
  });
});
