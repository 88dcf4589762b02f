/**
 * `.env` in the server's working directory (env-file.ts): read before the configuration, never over a variable the
 * environment already sets, silent when absent, and a loud failure when it exists but cannot be read.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const envFile = fileURLToPath(new URL("../src/env-file.ts", import.meta.url));
const config = fileURLToPath(new URL("../src/config.ts", import.meta.url));
// Resolved here: the child runs in a directory that has no node_modules.
const tsx = import.meta.resolve("tsx");

/** What a process started in `cwd` configures, loading .env first as main.ts does. */
async function configuredIn(cwd: string, env: Record<string, string> = {}) {
  const script =
    `await import(${JSON.stringify(envFile)}); const { loadConfig } = await import(${JSON.stringify(config)});` +
    "const c = loadConfig(); console.log(JSON.stringify({ port: c.port, logLevel: c.logLevel, maxBatchSize: c.maxBatchSize }));";
  const base = { ...process.env };
  for (const name of ["PORT", "LOG_LEVEL", "MAX_BATCH_SIZE", "DATABASE_URL"]) delete base[name];
  return run(process.execPath, ["--import", tsx, "--input-type=module", "-e", script], {
    cwd,
    env: { ...base, DATABASE_URL: "memory:", ...env },
  });
}

describe(".env", () => {
  const temp = mkdtemp(path.join(tmpdir(), "mm-env-file-"));
  afterAll(async () => rm(await temp, { recursive: true, force: true }));

  it("is read from the working directory, and a variable the environment sets wins over it", async () => {
    const dir = await mkdtemp(path.join(await temp, "present-"));
    await writeFile(path.join(dir, ".env"), "# settings\nPORT=3311\nLOG_LEVEL=debug\nMAX_BATCH_SIZE=7\n");
    const { stdout, stderr } = await configuredIn(dir, { PORT: "3322" });
    expect(JSON.parse(stdout)).toEqual({ port: 3322, logLevel: "debug", maxBatchSize: 7 });
    expect(stderr).toBe("");
  });

  it("may be absent: the defaults apply and nothing is printed", async () => {
    const dir = await mkdtemp(path.join(await temp, "absent-"));
    const { stdout, stderr } = await configuredIn(dir);
    expect(JSON.parse(stdout)).toMatchObject({ port: 3000, logLevel: "info" });
    expect(stderr).toBe("");
  });

  it("stops the start when it exists but cannot be read, rather than run without it", async () => {
    const dir = await mkdtemp(path.join(await temp, "unreadable-"));
    await mkdir(path.join(dir, ".env")); // a directory: there, but no file to read (root reads any file)
    const failure = (await configuredIn(dir).catch((error: unknown) => error)) as { code?: number; stderr?: string };
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain("Contents of '.env' should be a valid string");
  });
});
