// Shared headless-Chromium setup for the dashboard's browser tests and benchmark (no sandbox as root, no GPU, no network beyond loopback).
// Browsers are launched one at a time: these machines have 2 cores.
import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

export function launchChromium() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

/**
 * Aborts every request of the context and records it, except the page's own document (`documentUrl`,
 * let through untouched) and URLs `serve(url)` answers (a test's fake origin). Anything else is an
 * attempted fetch — the report and the webview must make none.
 */
export async function blockNetwork(context, { documentUrl = null, serve = () => null } = {}) {
  const attempted = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (documentUrl !== null && url === documentUrl) return route.continue();
    const body = serve(url);
    if (body) return route.fulfill(body);
    attempted.push(url);
    return route.abort('blockedbyclient');
  });
  return attempted;
}

/** Counts canvas pixels that differ from the first pixel: > 0 means something was drawn. */
export async function canvasInk(page) {
  return page.$$eval('canvas', (canvases) => canvases.map((c) => {
    const ctx = c.getContext('2d');
    if (!ctx || c.width === 0 || c.height === 0) return 0;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) ink++;
    return ink;
  }));
}
