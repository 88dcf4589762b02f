/**
 * Debian's Chromium driven by playwright-core (Playwright's own browser download cannot work offline). Without it
 * the browser tests skip with a message, unless MM_REQUIRE_BROWSER=1 (CI) makes that a failure. For tests only (the
 * server's /docs test and the web app's), hence its own entry: nothing that serves requests imports it.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const required = process.env.MM_REQUIRE_BROWSER === "1";

export const chromiumMissing = existsSync(executablePath)
  ? undefined
  : `Chromium was not found at ${executablePath} (apt-get install -y --no-install-recommends chromium, or set CHROMIUM_PATH)`;

/** True when the browser tests should not run at all (no Chromium, and it is not required). */
export const skipBrowserTests = !!chromiumMissing && !required;
if (skipBrowserTests) {
  console.warn(`Skipping the browser tests: ${chromiumMissing}. Set MM_REQUIRE_BROWSER=1 to make this a failure.`);
}

export async function launchChromium(): Promise<Browser> {
  if (chromiumMissing) throw new Error(`${chromiumMissing}; MM_REQUIRE_BROWSER=1 makes this a failure`);
  return chromium.launch({
    executablePath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
    ],
  });
}
