/**
 * Failures said in words in the page: too many requests (429, with when to retry) and a server that went away.
 * Each on a server of its own (embedded database), so their limits and shutdowns touch no other test.
 */
import { skipBrowserTests } from "@memory-mirror/server/testing-chromium";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, openPage, signIn } from "./session.ts";
import { openTestBed, type TestBed } from "./test-bed.ts";

describe.skipIf(skipBrowserTests)("the web app when calls fail", () => {
  let bed: TestBed;
  let browser: Browser;

  beforeAll(async () => {
    bed = await openTestBed();
    browser = bed.browser;
  }, 120_000);

  afterAll(() => bed?.close());

  it("says when to try again after too many requests", { timeout: 90_000 }, async () => {
    const server = await bed.serve({ auth: "required", rateLimitPerMinute: 6 }, "embedded");
    const key = await server.createKey({ name: "busy", space: "default", scopes: ["read", "write"] });
    const { page, context } = await openPage(browser);
    await signIn(page, server.url, key);
    await page.getByRole("link", { name: "Search" }).click();
    const box = page.getByLabel("Search", { exact: true });
    const alert = page.getByRole("alert");
    for (let i = 0; i < 10 && !(await alert.isVisible()); i++) {
      await box.fill(`walk ${i}`);
      await box.press("Enter");
      await page.getByRole("status").or(alert).first().waitFor();
    }
    expect(await alert.textContent()).toMatch(/Too many requests: try again in \d+ seconds?\./);
    await page.screenshot({ path: `${ARTIFACTS}web-rate-limited.png` });
    await context.close();
  });

  it("says the server cannot be reached when it went away", { timeout: 90_000 }, async () => {
    const server = await bed.serve({ auth: "off" }, "embedded");
    const { page, context } = await openPage(browser);
    await page.goto(server.url);
    await page.getByRole("button", { name: "Continue without a key" }).click();
    await page.getByRole("heading", { level: 1, name: "Memories" }).waitFor();
    await page.getByRole("link", { name: "Search" }).click();
    await server.close();
    await page.getByLabel("Search", { exact: true }).fill("anything");
    await page.getByLabel("Search", { exact: true }).press("Enter");
    await expect
      .poll(() => page.getByRole("alert").textContent(), { timeout: 20_000 })
      .toContain("The server cannot be reached");

    // A page whose code was not loaded yet says so too, instead of going blank.
    await page.getByRole("link", { name: "Context" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("This page could not be loaded");
    await context.close();
  });
});
