// Errors people can act on: a failed sign-in lands on the SPA with a plain sentence and the
// next step as a button, never a raw code or a JSON page.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  APP,
  APP_ORIGIN,
  ISSUER_ORIGIN,
  PROVIDER_DOWN_APP,
  expectNoAxeViolations,
  freshPage,
  launchBrowser,
  screenshots,
  waitForOrigin,
} from '../helpers.js';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('Cancel at the provider lands on "sign-in was cancelled" with Log in again', { timeout: 90_000 }, async () => {
  const { context, page, errors } = await freshPage(browser);
  try {
    await page.goto(`${APP}/`);
    await page.locator('#login').click();
    await waitForOrigin(page, ISSUER_ORIGIN);
    await page.locator('button#cancel').click();
    await waitForOrigin(page, APP_ORIGIN);

    const notice = page.locator('#notice[data-code="access_denied"]');
    await notice.waitFor();
    assert.match(await notice.textContent(), /cancelled/);
    const action = notice.locator('#notice-action');
    assert.equal((await action.textContent()).trim(), 'Log in again');
    assert.equal(await action.getAttribute('data-action'), 'log-in');
    assert.ok(!page.url().includes('login_error'), 'the code left the address bar');
    await page.locator('#login').waitFor();
    await expectNoAxeViolations(page, 'the access_denied banner');
    await screenshots(page, 'error-access-denied');

    // Closing the banner puts the focus on the page heading, not <body>.
    await page.locator('#notice-dismiss').click();
    await notice.waitFor({ state: 'detached' });
    assert.ok(await page.evaluate(() => document.activeElement?.matches('#main h1')));

    // "Log in again" starts a new sign-in.
    await page.goto(`${APP}/?login_error=access_denied`);
    await page.locator('#notice-action').click();
    await waitForOrigin(page, ISSUER_ORIGIN);
    await page.locator('#username').waitFor();

    assert.deepEqual(errors, [], 'no uncaught errors');
  } finally {
    await context.close();
  }
});

test('every login_error code reads as a sentence with a next step; unknown text is not echoed', { timeout: 60_000 }, async () => {
  const { context, page, errors } = await freshPage(browser);
  try {
    const expected = {
      login_expired: 'Log in again',
      login_transaction_invalid: 'Log in again',
      provider_unavailable: 'Try again',
      rate_limited: 'Try again',
      provider_misconfigured: 'Contact the administrator',
      par_refused: 'Contact the administrator',
      invalid_id_token: 'Contact the administrator',
    };
    for (const [code, label] of Object.entries(expected)) {
      await page.goto(`${APP}/?login_error=${code}`);
      const notice = page.locator(`#notice[data-code="${code}"]`);
      await notice.waitFor();
      assert.equal((await notice.locator('#notice-action').textContent()).trim(), label, code);
      const sentence = await notice.locator('.notice-message').textContent();
      assert.ok(!sentence.includes(code) && !sentence.includes('_'), `${code}: no raw code in the sentence`);
    }
    // "Contact the administrator" reveals the reference to give them.
    const details = page.locator('#notice-details');
    assert.equal(await details.isVisible(), false);
    await page.locator('#notice-action').click();
    await details.waitFor({ state: 'visible' });
    assert.match(await details.textContent(), /invalid_id_token/);
    assert.equal(await page.locator('#notice-action').getAttribute('aria-expanded'), 'true');
    await expectNoAxeViolations(page, 'the contact-the-administrator banner');

    await page.goto(`${APP}/?login_error=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E`);
    const unknown = page.locator('#notice[data-code="unknown"]');
    await unknown.waitFor();
    assert.equal(await page.locator('#notice img').count(), 0, 'nothing rendered as markup');
    assert.ok(!(await unknown.textContent()).includes('onerror'));
    assert.deepEqual(errors, [], 'no uncaught errors');
  } finally {
    await context.close();
  }
});

test('provider down: Log in lands on an explanation with Try again', {
  skip: PROVIDER_DOWN_APP ? false : 'E2E_PROVIDER_DOWN_URL is not set (run through `cargo xtask e2e`)',
  timeout: 90_000,
}, async () => {
  const { context, page, errors } = await freshPage(browser, { app: PROVIDER_DOWN_APP });
  try {
    const origin = new URL(PROVIDER_DOWN_APP).origin;
    await page.goto(`${PROVIDER_DOWN_APP}/`);
    await page.locator('#login').click();
    // The backend answers the failed navigation with a redirect to the SPA, not JSON.
    await page.waitForURL((url) => url.origin === origin && !url.pathname.startsWith('/api/'), {
      timeout: 40_000,
    });
    const notice = page.locator('#notice[data-code="provider_unavailable"]');
    await notice.waitFor();
    assert.match(await notice.textContent(), /not responding/);
    const retry = notice.locator('#notice-action');
    assert.equal((await retry.textContent()).trim(), 'Try again');
    assert.equal(await retry.getAttribute('data-action'), 'retry-login');
    assert.match(await retry.getAttribute('href'), /^\/api\/auth\/login\?returnTo=/);
    await expectNoAxeViolations(page, 'the provider_unavailable banner');
    await screenshots(page, 'error-provider-down');
    assert.deepEqual(errors, [], 'no uncaught errors');
  } finally {
    await context.close();
  }
});
