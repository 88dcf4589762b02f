/**
 * The web app's files as the server hands them out: hashed assets cached for a year, index.html never cached,
 * index.html for a browser navigating to one of the app's own paths, and the APIs' answers untouched. A stand-in
 * build (two files) is enough here; the app itself is tested in Chromium by apps/web.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head></html>';
const SCRIPT = `console.log(${JSON.stringify("x".repeat(4000))});`;
const html = { accept: "text/html,application/xhtml+xml" };

describe("the web app's files", () => {
  let server: TestServer;
  let webDir: string;
  beforeAll(async () => {
    webDir = mkdtempSync(join(tmpdir(), "mm-web-files-"));
    mkdirSync(join(webDir, "assets"));
    writeFileSync(join(webDir, "index.html"), INDEX);
    writeFileSync(join(webDir, "assets", "index-abc123.js"), SCRIPT);
    server = await startTestServer("embedded", {}, { webDir });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(webDir, { recursive: true, force: true });
  });

  it("serves index.html at / with no-cache and the strict CSP", async () => {
    const response = await fetch(server.url, { headers: html });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await response.text()).toBe(INDEX);
  });

  it("serves hashed assets cached for a year, compressed when asked", async () => {
    const response = await fetch(`${server.url}/assets/index-abc123.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(response.headers.get("content-type")).toMatch(/^text\/javascript/);
    // fetch asks for gzip and decodes it: the header says it travelled compressed.
    expect(response.headers.get("content-encoding")).toBe("gzip");
    expect(await response.text()).toBe(SCRIPT);
  });

  it("answers a missing asset or a path outside the assets with 404", async () => {
    expect((await fetch(`${server.url}/assets/index-nope.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/assets/..%2Findex.html`)).status).toBe(404);
    expect((await fetch(`${server.url}/assets/../../package.json`)).status).not.toBe(200);
  });

  it("gives a browser's navigation to an app path the app, and programs the API's JSON 404", async () => {
    const page = await fetch(`${server.url}/memories/vid_1`, { headers: html });
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(INDEX);
    const program = await fetch(`${server.url}/memories/vid_1`);
    expect(program.status).toBe(404);
    expect(await program.json()).toEqual({ detail: "Not Found" });
    const api = await fetch(`${server.url}/api/nothing-here`, { headers: html });
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ detail: "Not Found" });
  });

  it("says how to build the app when it is not built", async () => {
    const unbuilt = await startTestServer("embedded", {}, { webDir: join(webDir, "missing") });
    try {
      const response = await fetch(unbuilt.url, { headers: html });
      expect(response.status).toBe(503);
      expect(await response.text()).toContain("pnpm build");
    } finally {
      await unbuilt.close();
    }
  });
});
