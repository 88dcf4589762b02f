/**
 * The web app's budgets, measured in Chromium and printed (never asserted as times): the JavaScript a first visit
 * downloads (gzipped, asserted ≤ 200 KB: a size, not a speed), and how 1,000 memories scroll (frame intervals while
 * scrolling the whole list, and how many rows the page holds at once). Also the server with authentication off.
 */
import { gzipSync } from "node:zlib";
import { createMemoryMirrorClient } from "@memory-mirror/client";
import type { TestServer } from "@memory-mirror/server/testing";
import { skipBrowserTests } from "@memory-mirror/server/testing-chromium";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, memoryCards, openPage } from "./session.ts";
import { openTestBed, type TestBed } from "./test-bed.ts";

const MEMORIES = 1000;
const INITIAL_JS_BUDGET = 200 * 1024;

describe.skipIf(skipBrowserTests)("the web app's budgets", () => {
  let bed: TestBed;
  let browser: Browser;
  let server: TestServer;

  beforeAll(async () => {
    bed = await openTestBed();
    browser = bed.browser;
    server = await bed.serve({ auth: "off" });
    const api = createMemoryMirrorClient({ url: server.url });
    const items = Array.from({ length: MEMORIES }, (_, i) => ({
      videoId: `vid-${String(i).padStart(4, "0")}`,
      description: `Memory ${i}: ${"a walk along the river with the dog, then coffee at the corner ".repeat(1 + (i % 4))}`,
      tags: i % 3 === 0 ? ["walks", "dog"] : ["coffee"],
    }));
    await api.videoAnalysis.upsertMany.mutate({ items });
  }, 180_000);

  afterAll(() => bed?.close());

  it("loads at most 200 KB of gzipped JavaScript before the first memories show", async () => {
    const { page, context } = await openPage(browser);
    const scripts: Promise<number>[] = [];
    page.on("response", (response) => {
      if (response.request().resourceType() === "script") scripts.push(response.body().then((b) => gzipSync(b).length));
    });
    await page.goto(server.url);
    // Authentication is off: the page offers to go on without a key.
    await page.getByRole("button", { name: "Continue without a key" }).click();
    await memoryCards(page).first().waitFor();
    const sizes = await Promise.all(scripts);
    const total = sizes.reduce((sum, size) => sum + size, 0);
    console.log(`initial JavaScript: ${(total / 1024).toFixed(1)} KB gzipped in ${sizes.length} file(s)`);
    expect(sizes.length).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(INITIAL_JS_BUDGET);
    await context.close();
  });

  it(
    `scrolls through ${MEMORIES} memories with only the rows on screen in the page`,
    { timeout: 120_000 },
    async () => {
      const { page, context, errors } = await openPage(browser, { viewport: { width: 1280, height: 900 } });
      await page.goto(server.url);
      await page.getByRole("button", { name: "Continue without a key" }).click();
      await memoryCards(page).first().waitFor();

      // Scroll 400 px per frame until the list says everything is shown and the bottom is reached (pages of 50 load
      // on the way), then back to the top over rows already loaded.
      const run = await page.evaluate(async (total) => {
        let rowsMax = 0;
        const scroll = async (step: number, done: () => boolean) => {
          const intervals: number[] = [];
          let last = performance.now();
          const started = last;
          while (!done() && performance.now() - started < 90_000) {
            window.scrollBy(0, step);
            await new Promise((resolve) => requestAnimationFrame(resolve));
            const now = performance.now();
            intervals.push(now - last);
            last = now;
            rowsMax = Math.max(rowsMax, document.querySelectorAll(".memory-list > li").length);
          }
          return intervals;
        };
        const atEnd = () =>
          !!document.body.textContent?.includes(`${total} memories, all shown.`) &&
          window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2;
        const down = await scroll(400, atEnd);
        const finished = atEnd();
        const lastTitle = [...document.querySelectorAll(".memory-list h2")].at(-1)?.textContent ?? "";
        const up = await scroll(-400, () => window.scrollY === 0);
        // Baseline on the same machine in the same run: the same rows as static HTML (no script), scrolled alike.
        const main = document.querySelector("main")!;
        const row = main.querySelector(".memory-list article")!.outerHTML;
        main.innerHTML = Array.from({ length: total }, () => row).join("");
        const baseline = await scroll(
          400,
          () => window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2,
        );
        return { down, up, baseline, rowsMax, lastTitle, finished };
      }, MEMORIES);

      const describe = (intervals: number[]) => {
        const sorted = [...intervals].sort((a, b) => a - b);
        const at = (q: number) => (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(1);
        // "Dropped": the next frame came later than 1.5 refresh intervals of a 60 Hz screen.
        const dropped = intervals.filter((ms) => ms > 25).length;
        return `${intervals.length} frames, interval median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms, ${dropped} over 25 ms`;
      };
      console.log(
        `scrolling ${MEMORIES} memories at 400 px a frame: down while loading pages of 50: ${describe(run.down)}; ` +
          `back up over loaded rows: ${describe(run.up)}; at most ${run.rowsMax} rows in the page at once. ` +
          `Baseline, the same ${MEMORIES} rows as static HTML: ${describe(run.baseline)}`,
      );
      expect(run.finished).toBe(true);
      // The oldest memory is the last row, and the page never held more than a screenful or two of rows.
      expect(run.lastTitle).toMatch(/^vid-\d{4}$/);
      expect(run.rowsMax).toBeLessThan(60);
      await page.screenshot({ path: `${ARTIFACTS}web-scrolled-to-end.png` });
      expect(errors).toEqual([]);
      await context.close();
    },
  );
});
