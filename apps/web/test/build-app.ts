import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const webRoot = fileURLToPath(new URL("..", import.meta.url));
const vite = join(dirname(createRequire(import.meta.url).resolve("vite/package.json")), "bin/vite.js");

/**
 * Builds the app from the current sources into a fresh directory (tests never depend on a stale dist/), in its own
 * process: vitest's NODE_ENV=test would otherwise make it a development build of React.
 */
export async function buildApp(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), "mm-web-"));
  await promisify(execFile)(
    process.execPath,
    [vite, "build", "--outDir", outDir, "--emptyOutDir", "--logLevel", "warn"],
    {
      cwd: webRoot,
      env: { ...process.env, NODE_ENV: "production" },
    },
  );
  return outDir;
}
