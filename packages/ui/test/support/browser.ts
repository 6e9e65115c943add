/**
 * Debian's Chromium driven by playwright-core (which never downloads a browser). Without it, a
 * browser test fails in CI (CI=true) and is skipped, with a message, elsewhere.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { describe, test } from 'vitest';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where screenshots go: test-results/ui/ at the workspace root, a folder CI keeps. */
export const SCREENSHOTS = fileURLToPath(new URL('../../../../test-results/ui/', import.meta.url));

export const hasChromium = existsSync(CHROMIUM);

/** `describe`, when Chromium is there; else a failing test in CI, and a skip elsewhere. */
export function describeWithBrowser(name: string, body: () => void): void {
  if (hasChromium) {
    describe(name, body);
    return;
  }
  if (process.env.CI) {
    describe(name, () => {
      test('finds Chromium', () => {
        throw new Error(`no Chromium at ${CHROMIUM}: install it (apt-get install chromium), as .ci/run does`);
      });
    });
    return;
  }
  console.warn(`${name}: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  describe.skip(name, body);
}

export function launchBrowser(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
