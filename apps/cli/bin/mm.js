#!/usr/bin/env node
// Runs the CLI built into dist/ (`pnpm build`). "#main" is package.json "imports": under the @memory-mirror/source
// condition, with tsx loaded (the CLI's tests), it is src/main.ts instead, so the tests need no build.
const main = import.meta.resolve("#main");
try {
  await import(main);
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || error.url !== main) throw error;
  console.error("mm is not built yet: run `npx -y pnpm@10.34.9 build` in the repository first.");
  process.exit(1);
}
