import { rm } from "node:fs/promises";
import { testTargets, type TestTargetName } from "@memory-mirror/db/testing";
import { startTestServer, type TestServer } from "@memory-mirror/server/testing";
import { launchChromium } from "@memory-mirror/server/testing-chromium";
import type { Browser } from "playwright-core";
import { buildApp } from "./build-app.ts";

/** What a browser test file starts once: Chromium, and the app built from the current sources. */
export interface TestBed {
  browser: Browser;
  /** A real server serving the app: over PostgreSQL when it answers (else embedded), unless `target` says. */
  serve(config?: Parameters<typeof startTestServer>[1], target?: TestTargetName): Promise<TestServer>;
  /** Closes the browser and every server served (those a test closed already included), deletes the build. */
  close(): Promise<void>;
}

export async function openTestBed(): Promise<TestBed> {
  const [browser, webDir] = await Promise.all([launchChromium(), buildApp()]);
  const servers: TestServer[] = [];
  return {
    browser,
    async serve(config = {}, target) {
      const [, postgres] = await testTargets();
      const server = await startTestServer(target ?? (postgres?.skip ? "embedded" : "postgres"), config, { webDir });
      servers.push(server);
      return server;
    },
    async close() {
      // Servers and the build go even when the browser fails to close (whose failure is then reported); a server a
      // test closed already may refuse a second close.
      const [browserClosed] = await Promise.allSettled([
        browser.close(),
        ...servers.map((server) => server.close().catch(() => undefined)),
      ]);
      await rm(webDir, { recursive: true, force: true });
      if (browserClosed.status === "rejected") throw browserClosed.reason;
    },
  };
}
