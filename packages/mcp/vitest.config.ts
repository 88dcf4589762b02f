import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Opening an embedded database runs initdb in wasm (seconds on a busy 2-core machine).
    hookTimeout: 60_000,
    testTimeout: 30_000,
  },
});
