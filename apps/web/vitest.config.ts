import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";
import shared from "../../vitest.shared.ts";

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
        test: {
          name: "components",
          environment: "happy-dom",
          include: ["src/**/*.test.{ts,tsx}"],
          setupFiles: ["src/test-setup.ts"],
        },
      },
      {
        extends: true,
        test: { name: "browser", environment: "node", include: ["test/**/*.test.ts"] },
      },
    ],
  },
});
