// The demo page in a real browser: Debian's Chromium, driven by playwright-core, loads the
// page from the Laravel app, connects Echo to sidecast and shows events as they arrive.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchChromium } from './support/browser.mjs';
import { artisan, startLaravel, startSidecar, stopAll, tempDir } from './support/processes.mjs';
import { APP, APP_ARGS } from './support/pusher-clients.mjs';

// Stops whatever a failing test left running, so the file's process can end.
after(stopAll);

const scratch = tempDir();
let sidecar;
let laravel;
let browser;

before(async () => {
    sidecar = await startSidecar({ dir: scratch.dir, args: APP_ARGS });
    laravel = await startLaravel({ sidecar, extension: true, env: { SIDECAST_APP_ID: APP.id, SIDECAST_APP_KEY: APP.key, SIDECAST_APP_SECRET: APP.secret } });
    browser = await launchChromium();
});

after(async () => {
    await browser?.close();
    await laravel?.stop();
    await sidecar?.stop();
    scratch.remove();
});

for (const [broadcaster, query, socketId] of [['socket.io', '', /^connected as \S+$/], ['reverb', '?broadcaster=reverb', /^connected as \d+\.\d+$/]]) {
    test(`the demo page connects (${broadcaster}) and shows Hello World! when the event is fired`, async () => {
        const page = await browser.newPage();
        const problems = [];
        page.on('pageerror', (error) => problems.push(error.message));
        page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));

        // The page and the socket use the same host name, as a session cookie would need.
        await page.goto(`${laravel.url}/${query}`);
        await page.locator('#status.connected').waitFor({ timeout: 10000 });
        assert.match(await page.locator('#status').textContent(), socketId);

        // Echo subscribes right after connecting; fire until the page has the event, so a
        // subscription still in flight cannot make the test flaky.
        const item = page.locator('#events li', { hasText: 'Hello World!' });
        for (let attempt = 0; attempt < 20 && (await item.count()) === 0; attempt++) {
            await artisan(['demo:fire'], { sidecar, extension: true });
            await item.first().waitFor({ timeout: 500 }).catch(() => {});
        }
        assert.ok((await item.count()) >= 1, 'the page lists Hello World!');

        // The page's own button goes through the /fire route.
        await page.fill('#message', `clicked in Chromium (${broadcaster})`);
        await page.click('#fire');
        await page.locator('#events li', { hasText: `clicked in Chromium (${broadcaster})` }).waitFor({ timeout: 10000 });

        assert.deepEqual(problems, [], 'no errors in the page');
        await page.close();
    });
}
