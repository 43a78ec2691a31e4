// A link to our login on another site's page. Chromium leaves the SameSite=Strict session
// cookie out of that cross-site navigation, so the app first answers with a page of its own
// that navigates on (a meta refresh): that navigation is same-site, the cookie comes along,
// the login remembers the session from before, and the callback ends it instead of leaving it
// orphaned. The old cookie, replayed, is worth nothing.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  APP,
  APP_ORIGIN,
  api,
  freshPage,
  launchBrowser,
  signInAtProvider,
} from '../helpers.js';

/** Another site (served by the test through Playwright's routing; nothing listens there). */
const ELSEWHERE = 'http://elsewhere.test';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function sessionCookie(context) {
  const cookies = await context.cookies(APP);
  return cookies.find((c) => c.name === 'bff_session');
}

test('a login linked from another site still ends the session from before', { timeout: 90_000 }, async () => {
  const { context, page } = await freshPage(browser);
  try {
    await page.goto(`${APP}/api/auth/login`);
    await signInAtProvider(page, 'alice');
    const old = await sessionCookie(context);
    assert.ok(old, 'signed in with a session cookie');
    assert.equal(old.sameSite, 'Strict');

    const login = `${APP}/api/auth/login?returnTo=%2Fprofile&prompt=login`;
    await page.route(`${ELSEWHERE}/**`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><title>Elsewhere</title><a id="go" href="${login}">Sign in there</a>`,
      }),
    );
    await page.goto(`${ELSEWHERE}/`);
    await page.locator('#go').click();
    await signInAtProvider(page, 'alice');
    await page.waitForURL((url) => url.origin === APP_ORIGIN && url.pathname === '/profile');
    const current = await sessionCookie(context);
    assert.notEqual(current.value, old.value, 'a new session id after the second login');

    const { context: stale, page: stalePage } = await freshPage(browser);
    try {
      await stale.addCookies([{ ...old }]);
      await stalePage.goto(`${APP}/healthz`);
      const me = await api(stalePage, 'GET', '/api/auth/me');
      assert.equal(me.status, 401, 'the session from before the linked login is over');
    } finally {
      await stale.close();
    }
  } finally {
    await context.close();
  }
});
