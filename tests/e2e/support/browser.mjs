// Debian's Chromium, headless, driven by playwright-core: without the background-networking
// flags it keeps trying to reach Google's hosts, which this machine's closed network refuses.

import { chromium } from 'playwright-core';

export function launchChromium() {
    return chromium.launch({
        executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
}
