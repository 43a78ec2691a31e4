// Loading the app, cold (empty cache) and warm (the same browser again): the time to the first
// meaningful page (the home page's Log in button, drawn by the app, not the static loading
// screen), unthrottled and on an emulated slow 4G link with a 4x slower CPU (DevTools
// protocol), printed with the bytes fetched. What a browser can tell is asserted: the wasm
// comes precompressed, and a warm load takes it from the cache without asking the server.
// The times are printed, not asserted (two shared cores make them noisy); issue 17's targets on
// slow 4G are 1.5 s cold and 0.5 s warm.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { APP, freshPage, launchBrowser } from '../helpers.js';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

// Lighthouse's "slow 4G": 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up.
const SLOW_4G = {
  offline: false,
  latency: 150,
  downloadThroughput: (1.6 * 1024 * 1024) / 8,
  uploadThroughput: (750 * 1024) / 8,
};

/** Opens the home page and waits for the app's Log in button; what it took and fetched. */
async function load(page) {
  await page.goto(`${APP}/`, { waitUntil: 'commit' });
  const handle = await page.waitForFunction(
    () => document.querySelector('#login') && performance.now(),
    null,
    { polling: 'raf', timeout: 60_000 },
  );
  const ms = await handle.jsonValue();
  const fetched = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const entries = [nav, ...performance.getEntriesByType('resource')];
    return entries.map((e) => ({
      name: new URL(e.name).pathname,
      transfer: e.transferSize,
      encoded: e.encodedBodySize,
      decoded: e.decodedBodySize,
    }));
  });
  return { ms, fetched };
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

for (const throttled of [false, true]) {
  const label = throttled ? 'slow 4G, 4x slower CPU' : 'unthrottled';
  test(`cold and warm load of the home page (${label})`, { timeout: 120_000 }, async () => {
    const { context, page, errors } = await freshPage(browser);
    try {
      if (throttled) {
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
        await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
      }
      const cold = await load(page);
      const warm = await load(page);

      const wasm = (run) => run.fetched.find((f) => f.name.endsWith('_bg.wasm'));
      const total = (run) => run.fetched.reduce((sum, f) => sum + f.transfer, 0);
      console.log(
        `${label}: first meaningful page ${Math.round(cold.ms)} ms cold (${kib(total(cold))} transferred, `
          + `wasm ${kib(wasm(cold).encoded)} of ${kib(wasm(cold).decoded)}), `
          + `${Math.round(warm.ms)} ms warm (${kib(total(warm))} transferred)`,
      );

      const coldWasm = wasm(cold);
      assert.ok(coldWasm, `the wasm was fetched: ${JSON.stringify(cold.fetched)}`);
      assert.ok(
        coldWasm.encoded < coldWasm.decoded * 0.5,
        `the wasm came compressed: ${JSON.stringify(coldWasm)}`,
      );
      const warmWasm = wasm(warm);
      assert.equal(warmWasm.transfer, 0, `warm: the wasm came from the cache: ${JSON.stringify(warmWasm)}`);
      assert.deepEqual(errors, [], 'no uncaught errors');
    } finally {
      await context.close();
    }
  });
}
