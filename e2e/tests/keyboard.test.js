// A keyboard-only pass (Tab, Shift+Tab, Enter, Space, Escape; no mouse): log in, open the
// profile, go to Your sessions, sign the other device out through its confirmation, log out.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  APP,
  APP_ORIGIN,
  ISSUER_ORIGIN,
  describeFocus,
  expectFocusOnHeading,
  freshPage,
  launchBrowser,
  signIn,
  tabTo,
  waitForOrigin,
} from '../helpers.js';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('keyboard only: log in, profile, sign a session out, log out', { timeout: 120_000 }, async () => {
  // Another device of alice's, to have a session to sign out.
  const other = await freshPage(browser);
  const { context, page, errors } = await freshPage(browser);
  try {
    await signIn(other.page, 'alice');

    await page.goto(`${APP}/`);
    await page.locator('#login').waitFor();
    await tabTo(page, '#login');
    await page.keyboard.press('Enter');

    await waitForOrigin(page, ISSUER_ORIGIN);
    await page.locator('#username').waitFor();
    await tabTo(page, '#username');
    await page.keyboard.type('alice');
    await tabTo(page, '#password');
    await page.keyboard.type('alice');
    await page.keyboard.press('Enter');
    await waitForOrigin(page, APP_ORIGIN);
    await page.locator('#user-menu-button').waitFor();

    // The profile, by its nav link.
    await tabTo(page, '.nav-links a[href="/profile"]');
    await page.keyboard.press('Enter');
    assert.match(await expectFocusOnHeading(page), /^Welcome, Alice Admin$/);

    // On to Your sessions.
    await tabTo(page, 'a.sessions-link');
    await page.keyboard.press('Enter');
    assert.equal(await expectFocusOnHeading(page), 'Your sessions');
    await page.locator('#my-sessions li.my-session').first().waitFor();

    // Sign the other session out: Space opens the confirmation (focus on Cancel), Escape
    // closes it (focus back on the button), Enter opens it again, Shift+Tab reaches the
    // confirm button.
    await tabTo(page, 'button.session-sign-out');
    const id = await page.evaluate(() => document.activeElement.dataset.sessionId);
    await page.keyboard.press('Space');
    await page.waitForFunction(() => document.activeElement?.matches('button.session-sign-out-cancel'));
    await page.keyboard.press('Escape');
    await page.waitForFunction(
      (id) => document.activeElement?.matches(`button.session-sign-out[data-session-id="${id}"]`),
      id,
    );
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.matches('button.session-sign-out-cancel'));
    await page.keyboard.press('Shift+Tab');
    assert.ok(
      await page.evaluate(() => document.activeElement?.matches('button.session-sign-out-confirm')),
      await describeFocus(page),
    );
    await page.keyboard.press('Enter');
    await page.locator('#my-sessions-notice[data-kind="success"]').waitFor();
    await page.locator(`li.my-session[data-session-id="${id}"]`).waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'other-sessions', await describeFocus(page));

    // Close the result with the keyboard: the focus stays on the page.
    await tabTo(page, '#my-sessions-notice-dismiss', { backwards: true });
    await page.keyboard.press('Enter');
    await page.locator('#my-sessions-notice').waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'other-sessions', await describeFocus(page));

    // Log out, back up through the bar: the user menu opens with Enter, Escape closes it
    // (focus back on its button), and Log out is its last item.
    await tabTo(page, '#user-menu-button', { backwards: true });
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('#user-menu-button').getAttribute('aria-expanded'), 'true');
    await page.locator('#user-menu').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('#user-menu').waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'user-menu-button', await describeFocus(page));
    await page.keyboard.press('Enter');
    await tabTo(page, '#logout');
    await page.keyboard.press('Enter');
    const confirm = page.locator('button[name=logout]');
    await confirm.or(page.locator('#notice[data-code="signed_out"]')).first().waitFor();
    if (new URL(page.url()).origin === ISSUER_ORIGIN) {
      await tabTo(page, 'button[name=logout]');
      await page.keyboard.press('Enter');
    }
    await waitForOrigin(page, APP_ORIGIN);
    await page.locator('#notice[data-code="signed_out"]', { hasText: 'You have signed out' }).waitFor();
    await page.locator('#login').waitFor();

    assert.deepEqual(errors, [], 'no uncaught errors');
  } finally {
    await context.close();
    await other.context.close();
  }
});
