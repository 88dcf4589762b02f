import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";
import shared from "../../vitest.shared.ts";
import app from "./vite.config.ts";

/**
 * Two kinds of tests: components in happy-dom (jsdom 31 needs Node 22) (src/**\/*.test.{ts,tsx}), and the whole app in Chromium against the real
 * server (test/*.test.ts, Node).
 */
export default defineConfig({
  ...shared,
  test: {
    ...shared.test,
    projects: [
      {
        plugins: [react()],
        // The app's own resolution: workspace packages (the typed client) from their sources.
        resolve: app.resolve,
        test: {
          name: "components",
          testTimeout: shared.test.testTimeout,
          environment: "happy-dom",
          // The components call the test API server (test/api-server.ts) on another port; a browser would need CORS for
          // that, which only the app's real deployment (same origin) matters for.
          environmentOptions: {
            happyDOM: { url: "http://localhost:3000", settings: { fetch: { disableSameOriginPolicy: true } } },
          },
          include: ["src/**/*.test.{ts,tsx}"],
          setupFiles: ["src/test-setup.ts"],
          globalSetup: ["test/api-server.ts"],
        },
      },
      {
        extends: true,
        test: { name: "browser", environment: "node", include: ["test/**/*.test.ts"] },
      },
    ],
  },
});
