// Accessibility: axe (WCAG 2.2 A/AA rules) finds nothing on each page, light and dark; every
// route change moves the focus to the new page's heading and changes the title; the skip link
// comes first; touch targets are at least 44 px; reduced motion stops every animation; the
// bar never covers the focus at 200 % zoom; the 404's big number is readable.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  APP,
  DESKTOP,
  PHONE,
  describeFocus,
  expectFocusOnHeading,
  expectNoAxeViolations,
  freshPage,
  launchBrowser,
  screenshot,
  screenshots,
  signIn,
} from '../helpers.js';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** WCAG contrast ratio of two `rgb(...)` colours. */
function contrast(a, b) {
  const lum = (rgb) => {
    const [r, g, bl] = rgb.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

for (const colorScheme of ['light', 'dark']) {
  test(`axe finds nothing on the pages (${colorScheme})`, { timeout: 120_000 }, async () => {
    const { context, page, errors } = await freshPage(browser, { colorScheme });
    try {
      await page.goto(`${APP}/`);
      await page.locator('#login').waitFor();
      await expectNoAxeViolations(page, `home, signed out (${colorScheme})`);
      await page.goto(`${APP}/nope`);
      await page.locator('#not-found').waitFor();
      await expectNoAxeViolations(page, `404 (${colorScheme})`);
      if (colorScheme === 'dark') await screenshots(page, 'not-found-dark');

      // Signed out, /forbidden offers to log in and does not claim a signed-in account.
      await page.goto(`${APP}/forbidden`);
      await page.locator('#forbidden').waitFor();
      await page.locator('#forbidden-login').waitFor();
      const forbidden = await page.locator('#forbidden').textContent();
      assert.match(forbidden, /You are not signed in/);
      assert.doesNotMatch(forbidden, /account (is|was) signed in|Signed in as/i);
      await expectNoAxeViolations(page, `forbidden, signed out (${colorScheme})`);

      await signIn(page, 'bob');
      await expectNoAxeViolations(page, `home, signed in (${colorScheme})`);
      // On a phone the name beside the avatar is out of sight, not out of the menu button's name.
      await page.setViewportSize(PHONE);
      await expectNoAxeViolations(page, `home, signed in, phone (${colorScheme})`);
      await page.locator('#user-menu-button').click();
      await page.locator('#user-menu').waitFor();
      await expectNoAxeViolations(page, `user menu open, phone (${colorScheme})`);
      await screenshot(page, `user-menu-${colorScheme}-phone`);
      await page.keyboard.press('Escape');
      await page.setViewportSize(DESKTOP);
      if (colorScheme === 'light') await screenshots(page, 'home-signed-in');
      await page.goto(`${APP}/profile`);
      await page.locator('#welcome').waitFor();
      await expectNoAxeViolations(page, `profile (${colorScheme})`);
      await screenshots(page, `profile-${colorScheme}`);
      await page.goto(`${APP}/admin`);
      await page.locator('#forbidden').waitFor();
      await expectNoAxeViolations(page, `forbidden (${colorScheme})`);
      await page.goto(`${APP}/account/sessions`);
      await page.locator('#this-session').waitFor();
      await expectNoAxeViolations(page, `your sessions (${colorScheme})`);
      await page.goto(`${APP}/messages`);
      await page.locator('#read-only').waitFor();
      await expectNoAxeViolations(page, `messages, read only (${colorScheme})`);
      if (colorScheme === 'dark') await screenshots(page, 'messages-dark');

      const admin = await freshPage(browser, { colorScheme });
      try {
        await signIn(admin.page, 'alice');
        await admin.page.goto(`${APP}/admin`);
        await admin.page.locator('table#sessions').waitFor();
        await expectNoAxeViolations(admin.page, `admin (${colorScheme})`);
        if (colorScheme === 'dark') await screenshots(admin.page, 'admin-dark');
        assert.deepEqual(admin.errors, [], 'no uncaught errors (alice)');
      } finally {
        await admin.context.close();
      }
      assert.deepEqual(errors, [], 'no uncaught errors');
    } finally {
      await context.close();
    }
  });
}

test('each route change: focus on the new heading, a new title, aria-current, an announcement', { timeout: 90_000 }, async () => {
  const { context, page, errors } = await freshPage(browser);
  try {
    await signIn(page, 'alice');
    let title = await page.title();
    const steps = [
      ['.nav-links a[href="/profile"]', /^Welcome, Alice Admin$/, 'Your profile · Ferris Login'],
      ['a.sessions-link', /^Your sessions$/, 'Your sessions · Ferris Login'],
      ['.nav-links a[href="/messages"]', /^Messages$/, 'Messages · Ferris Login'],
      ['.nav-links a[href="/admin"]', /^All sessions$/, 'All sessions · Ferris Login'],
      ['.nav-links a[href="/"]', /^Sign in with OpenID Connect/, 'Home · Ferris Login'],
    ];
    for (const [link, heading, expectedTitle] of steps) {
      await page.locator(link).click();
      assert.match(await expectFocusOnHeading(page), heading, `after ${link}`);
      await page.waitForFunction((t) => document.title === t, expectedTitle);
      assert.notEqual(expectedTitle, title, 'the title changed');
      title = expectedTitle;
      const current = page.locator('.nav-links a[aria-current="page"]');
      assert.ok((await current.count()) <= 1, 'at most one current link');
      await page.locator('#route-announcer', { hasText: expectedTitle.split(' · ')[0] }).waitFor();
    }
    assert.equal(await page.locator('.nav-links a[aria-current="page"]').getAttribute('href'), '/');
    // One status at a time: nothing in the bar claims to be checking the session.
    assert.equal(await page.locator('#auth-loading[role="status"]').count(), 0);
    // The avatar next to the name is decorative: the menu button reads the name once.
    const chip = page.locator('#user-menu-button');
    const name = await chip.evaluate((a) => {
      const img = a.querySelector('img, .avatar[aria-hidden="true"]');
      return { text: a.textContent.trim(), alt: img?.getAttribute('alt') ?? null, hidden: img?.getAttribute('aria-hidden') };
    });
    assert.ok(name.alt === '' || name.hidden === 'true', `decorative avatar: ${JSON.stringify(name)}`);
    assert.equal(name.text, 'Account menu for Alice Admin');
    assert.deepEqual(errors, [], 'no uncaught errors');
  } finally {
    await context.close();
  }
});

test('skip link first; 44 px targets; still under reduced motion; bar out of the way when zoomed', { timeout: 90_000 }, async () => {
  const { context, page, errors } = await freshPage(browser, { reducedMotion: 'reduce' });
  try {
    await page.goto(`${APP}/?login_error=provider_unavailable`);
    await page.locator('#notice').waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'skip-link', await describeFocus(page));
    assert.equal((await page.locator('#skip-link').textContent()).trim(), 'Skip to main content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');

    const targets = ['.nav-links a', '#login', '#signup', '#notice-dismiss', '#notice-action', 'a.brand'];
    for (const selector of targets) {
      for (const box of await page.locator(selector).evaluateAll((els) => els.map((el) => {
        const r = el.getBoundingClientRect();
        return { w: r.width, h: r.height, what: el.textContent.trim() || el.getAttribute('aria-label') };
      }))) {
        assert.ok(box.w >= 44 && box.h >= 44, `${selector} "${box.what}" is ${box.w}×${box.h}`);
      }
    }

    // Reduced motion: the spinner and the refresh icon do not move.
    const animations = await page.evaluate(() => {
      const probe = (cls) => {
        const el = document.createElement('span');
        el.className = cls;
        document.body.append(el);
        const name = getComputedStyle(el).animationName;
        el.remove();
        return name;
      };
      return [probe('spinner'), probe('refresh-icon spinning'), probe('skeleton')];
    });
    assert.deepEqual(animations, ['none', 'none', 'none']);

    // The 404's big number: at least 4.5:1 on its card.
    await page.goto(`${APP}/nope`);
    const colors = await page.locator('.state-code').evaluate((el) => ({
      fg: getComputedStyle(el).color,
      bg: getComputedStyle(el.closest('.card')).backgroundColor,
    }));
    const ratio = contrast(colors.fg, colors.bg);
    assert.ok(ratio >= 4.5, `404 contrast ${ratio.toFixed(2)}:1`);

    // 200 % zoom of a 1280 × 800 window is a 640 × 400 viewport: the bar scrolls away, so
    // nothing focused hides under it.
    await page.setViewportSize({ width: 640, height: 400 });
    assert.equal(await page.locator('header.topbar').evaluate((h) => getComputedStyle(h).position), 'static');
    await page.setViewportSize({ width: 1280, height: 800 });
    const padding = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).scrollPaddingTop));
    const bar = await page.locator('header.topbar').evaluate((h) => h.getBoundingClientRect().height);
    assert.ok(padding >= bar, `scroll-padding-top ${padding}px covers the ${bar}px bar`);
    assert.deepEqual(errors, [], 'no uncaught errors');
  } finally {
    await context.close();
  }
});

test('the user menu: a button that says what it is, open and shut by keyboard and by click', { timeout: 90_000 }, async () => {
  const { context, page, errors } = await freshPage(browser);
  try {
    await signIn(page, 'alice');
    const button = page.locator('#user-menu-button');
    const menu = page.locator('#user-menu');
    assert.equal(await button.getAttribute('aria-expanded'), 'false');
    assert.equal(await button.getAttribute('aria-controls'), 'user-menu');
    assert.ok(await menu.isHidden(), 'closed at first');

    await button.focus();
    await page.keyboard.press('Enter');
    await menu.waitFor();
    assert.equal(await button.getAttribute('aria-expanded'), 'true');
    const items = await menu.locator('a, button').evaluateAll((els) => els.map((e) => e.textContent.trim()));
    assert.deepEqual(items, ['Profile', 'Your sessions', 'Log out']);

    // Escape: shut, focus back on the button.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'user-menu-button');

    // A click elsewhere shuts it; following a link shuts it and goes there.
    await button.click();
    await menu.waitFor();
    await page.locator('#main').click({ position: { x: 5, y: 5 } });
    await menu.waitFor({ state: 'hidden' });
    await button.click();
    await menu.locator('a[href="/account/sessions"]').click();
    assert.equal(await expectFocusOnHeading(page), 'Your sessions');
    assert.ok(await menu.isHidden(), 'shut after following a link');
    assert.deepEqual(errors, [], 'no uncaught errors');
  } finally {
    await context.close();
  }
});

test('forced colors: the current page in the bar is still marked', { timeout: 60_000 }, async () => {
  const { context, page, errors } = await freshPage(browser, { forcedColors: 'active' });
  try {
    await page.goto(`${APP}/`);
    await page.locator('#login').waitFor();
    assert.ok(await page.evaluate(() => matchMedia('(forced-colors: active)').matches), 'forced colors are on');
    const marks = await page.locator('.nav-links a').evaluateAll((links) => links.map((a) => ({
      current: a.getAttribute('aria-current') === 'page',
      underline: getComputedStyle(a).textDecorationLine.includes('underline'),
      border: getComputedStyle(a).borderTopStyle !== 'none',
    })));
    const current = marks.filter((m) => m.current);
    assert.equal(current.length, 1, JSON.stringify(marks));
    assert.ok(current[0].underline && current[0].border, `the current link is underlined and framed: ${JSON.stringify(marks)}`);
    assert.ok(marks.filter((m) => !m.current).every((m) => !m.underline && !m.border), 'the others are not');
    await screenshot(page, 'forced-colors-desktop');
    assert.deepEqual(errors, [], 'no uncaught errors');
  } finally {
    await context.close();
  }
});
