/**
 * /docs in a real headless Chromium: the operations of both APIs render, and no request leaves this machine
 * (Swagger UI's files come from this server). Keeps a screenshot in test-artifacts/docs.png.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, skipBrowserTests } from "../src/testing-chromium.ts";
import { startTestServer, type TestServer } from "../src/testing.ts";

const artifacts = fileURLToPath(new URL("../test-artifacts/", import.meta.url));
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

// The page does not depend on the database: the embedded one suffices.
describe.skipIf(skipBrowserTests)("GET /docs in headless Chromium", () => {
  let server: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startTestServer("embedded");
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("renders every operation of the document with no request leaving localhost", { timeout: 90_000 }, async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    context.on("request", (request) => requests.push(request.url()));
    const pageErrors: string[] = [];
    const page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));

    const response = await page.goto(`${server.url}/docs`, { waitUntil: "networkidle" });
    expect(response?.status()).toBe(200);
    await page.locator(".opblock").first().waitFor({ timeout: 30_000 });

    // Every documented operation shows as one block, with its method and path.
    const rendered = await page.locator(".opblock").evaluateAll((blocks) =>
      blocks.map((block) => ({
        method: block.querySelector(".opblock-summary-method")?.textContent?.trim().toLowerCase() ?? "",
        path: block.querySelector(".opblock-summary-path")?.getAttribute("data-path") ?? "",
      })),
    );
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => ({ method, path })),
    );
    expect(documented.length).toBeGreaterThanOrEqual(10);
    expect(rendered).toEqual(expect.arrayContaining(documented));
    expect(rendered).toHaveLength(documented.length);
    await expect(page.locator("body").textContent()).resolves.toContain("Memory Mirror");

    // Opening an operation shows its parameters and error answers.
    const opened = page.locator('[id$="-getVideoAnalysis"]');
    await opened.locator(".opblock-summary").click();
    await opened.locator(".parameters").waitFor();
    expect(await opened.textContent()).toContain("video_id");
    expect(await opened.textContent()).toContain("404");

    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: `${artifacts}docs.png`, fullPage: true });

    expect(pageErrors).toEqual([]);
    const external = requests.filter((url) => {
      const { protocol, host, hostname } = new URL(url);
      if (protocol === "data:" || protocol === "blob:") return false;
      return !LOCAL_HOSTS.has(hostname) && !LOCAL_HOSTS.has(host);
    });
    expect(external, `requests that left the machine: ${external.join(", ")}`).toEqual([]);
    expect(requests.some((url) => url.endsWith("/openapi.json"))).toBe(true);
    expect(requests.some((url) => url.includes("/docs/assets/swagger-ui-bundle.js"))).toBe(true);
    await context.close();
  });

  it("serves only the Swagger UI files it lists", async () => {
    expect((await fetch(`${server.url}/docs/assets/swagger-ui.css`)).headers.get("content-type")).toMatch(/^text\/css/);
    expect((await fetch(`${server.url}/docs/assets/package.json`)).status).toBe(404);
    expect((await fetch(`${server.url}/docs/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
  });
});
