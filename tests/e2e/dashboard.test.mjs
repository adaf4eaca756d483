// The live dashboard (docs/monitoring.md#the-dashboard) in Debian's Chromium: without the admin
// key it shows nothing but a form and its data routes answer 401; with the key it shows the
// test's connections, channels (searchable) and a presence channel's members, and an event
// published afterwards appears in its stream without a reload. A screenshot is taken every run;
// SIDECAST_DASHBOARD_SCREENSHOT=docs/dashboard.png writes the one the docs show.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { startAuthApp } from './support/auth-app.mjs';
import { launchChromium } from './support/browser.mjs';
import { VARIANTS, connectEcho, eventually, openEcho, untilSubscribed } from './support/echo-clients.mjs';
import { freePort, startSidecar, stopAll, tempDir } from './support/processes.mjs';
import { publish, publishFrame } from './support/wire.mjs';

const KEY = 'dashboard-key-0123456789abcdef';

const scratch = tempDir();
let app;
let sidecar;
let admin;
let browser;
const clients = [];

before(async () => {
    app = await startAuthApp();
    const adminPort = await freePort();
    sidecar = await startSidecar({
        dir: scratch.dir,
        args: ['--admin-port', String(adminPort), '--auth-host', app.url],
        env: { SIDECAST_ADMIN_KEY: KEY },
    });
    admin = `http://127.0.0.1:${adminPort}`;
    for (const variant of VARIANTS) {
        clients.push(await connectEcho(variant, { url: sidecar.url, transports: ['websocket'], channel: 'orders', listeners: ['.Shipped'] }));
    }
    for (let i = 1; i <= 12; i += 1) {
        clients.push(await connectEcho(VARIANTS[i % 2], { url: sidecar.url, transports: ['websocket'], channel: `chat.${i}`, listeners: [] }));
    }
    for (const user of ['7', '12']) {
        clients.push(await openEcho(VARIANTS[1], {
            url: sidecar.url,
            auth: { headers: { 'X-User': user } },
            setup: (echo) => { echo.join('lobby'); },
        }));
    }
    await untilSubscribed(clients.filter((client) => client.channel), sidecar.socket);
    browser = await launchChromium();
});

after(async () => {
    await browser?.close();
    for (const client of clients) client.close();
    await sidecar?.stop();
    app?.close();
    await stopAll();
    scratch.remove();
});

test('without the key the data is refused and the page asks for it', async () => {
    for (const path of ['/dashboard/channels', '/dashboard/events', '/dashboard/members?channel=presence-lobby']) {
        assert.equal((await fetch(`${admin}${path}`)).status, 401, path);
        assert.equal((await fetch(`${admin}${path}`, { headers: { Authorization: 'Bearer wrong-key-0123456789abcdef' } })).status, 401, path);
    }
    const page = await browser.newPage();
    await page.goto(`${admin}/dashboard`);
    await page.locator('input[type=password]').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#connections-total').isVisible(), false, 'no figure shown');

    await page.goto(`${admin}/dashboard?key=wrong-key-0123456789abcdef`);
    await page.locator('input[type=password]').waitFor({ state: 'visible' });
    await page.close();
});

test('with the key it shows connections, channels and members, and new events live', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const problems = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${admin}/dashboard?key=${KEY}`);
    assert.ok(!page.url().includes(KEY), 'the key leaves the address bar');

    const connections = clients.length;
    await eventually(async () => (await page.locator('#connections-total').textContent()) === String(connections), `${connections} connections shown`);
    await eventually(async () => (await page.locator('#channels').textContent()).includes('orders'), 'the orders channel listed');
    const listed = await page.locator('#channels').textContent();
    for (const channel of ['chat.12', 'presence-lobby']) assert.ok(listed.includes(channel), `${channel} listed`);

    await page.locator('#channel-search').fill('chat.1');
    await eventually(async () => {
        const shown = await page.locator('#channels').textContent();
        return shown.includes('chat.11') && !shown.includes('orders') && !shown.includes('chat.2');
    }, 'the search to narrow the list');
    await page.locator('#channel-search').fill('lobby');
    await eventually(async () => (await page.locator('#channels tr', { hasText: 'presence-lobby' }).count()) === 1, 'the presence channel found');
    await page.locator('#channels tr', { hasText: 'presence-lobby' }).click();
    await eventually(async () => {
        const members = await page.locator('#members').textContent();
        return members.includes('7') && members.includes('12');
    }, 'its members shown');
    await page.locator('#channel-search').fill('');
    await eventually(async () => (await page.locator('#channels').textContent()).includes('orders'), 'the whole list back');

    // The page is not reloaded: a mark set on this document is still there when the event shows.
    await page.evaluate(() => { window.sidecastTestMark = true; });
    await publish(sidecar.socket, publishFrame({ channels: ['orders'], event: 'App\\Events\\OrderShipped', payload: '{"id":42}' }));
    await eventually(async () => {
        const events = await page.locator('#events').textContent();
        return events.includes('App\\Events\\OrderShipped') && events.includes('orders');
    }, 'the new event in the stream');
    assert.equal(await page.evaluate(() => window.sidecastTestMark), true, 'no reload');
    assert.ok(!(await page.locator('#events').textContent()).includes('"id":42'), 'no payload outside dev mode');

    const screenshot = process.env.SIDECAST_DASHBOARD_SCREENSHOT ?? join(scratch.dir, 'dashboard.png');
    if (process.env.SIDECAST_DASHBOARD_SCREENSHOT) {
        // For the docs' picture: half a minute of traffic, so the charts have a shape.
        for (let second = 0; second < 30; second += 1) {
            const events = 2 + (second % 7);
            for (let i = 0; i < events; i += 1) {
                const channel = i % 3 === 0 ? 'orders' : `chat.${1 + ((second + i) % 12)}`;
                await publish(sidecar.socket, publishFrame({ channels: [channel], event: i % 3 === 0 ? 'App\\Events\\OrderShipped' : 'App\\Events\\MessagePosted', payload: JSON.stringify({ id: second * 10 + i, text: 'x'.repeat(40 + i * 30) }) }));
            }
            await new Promise((ok) => setTimeout(ok, 1000));
        }
    }
    await page.screenshot({ path: screenshot, fullPage: Boolean(process.env.SIDECAST_DASHBOARD_SCREENSHOT) });
    assert.deepEqual([...readFileSync(screenshot).subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
    assert.deepEqual(problems, []);
    await page.close();
});
