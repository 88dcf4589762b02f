/**
 * Regression test for `pnpm dev` serving old code: under `node --watch --import tsx` the first edit of an imported
 * file restarted the server and later edits were ignored. Runs the watcher command of the root package.json's dev
 * script on a copy of this package's sources (so the real ones are never edited) and edits one imported file twice.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const packageDir = fileURLToPath(new URL("..", import.meta.url));

/** The watcher part of `pnpm dev` (after `turbo run generate … &&`), as package.json writes it. */
async function devWatcherCommand(): Promise<string> {
  const { scripts } = JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const watcher = scripts.dev!.split("&&").at(-1)!.trim();
  expect(watcher).toContain("apps/server/src/main.ts");
  return watcher;
}

describe("pnpm dev", () => {
  let child: ChildProcess | undefined;
  let copy: string | undefined;
  afterAll(async () => {
    // The watcher and the server it restarts share a process group: end both.
    if (child?.pid) process.kill(-child.pid, "SIGKILL");
    if (copy) await rm(copy, { recursive: true, force: true });
  });

  it("reloads on every edit of an imported file, not only the first", { timeout: 300_000 }, async () => {
    // Inside this package (not in a dot-directory: tsx watch ignores those), so the copy resolves the workspace packages and tsx exactly as src/ does.
    copy = await mkdtemp(path.join(packageDir, "dev-watch-copy-"));
    await cp(path.join(packageDir, "src"), path.join(copy, "src"), { recursive: true });
    const imported = path.join(copy, "src/health.ts");
    const original = await readFile(imported, "utf8");
    expect(original).toContain('c.json({ status: "ok" })');

    const command = (await devWatcherCommand()).replace(
      "apps/server/src/main.ts",
      path.relative(root, path.join(copy, "src/main.ts")),
    );
    child = spawn("bash", ["-c", command], {
      cwd: root,
      detached: true,
      env: { ...process.env, DATABASE_URL: "memory:", PORT: "0", LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.resume();

    /** Waits for the next server start (PORT=0: a new address each time) to serve `marker` at /healthz. */
    const served = async (marker: string) => {
      // Generous: a start through tsx on a busy 2-core machine has taken over 20 s.
      const deadline = Date.now() + 80_000;
      while (Date.now() < deadline) {
        const urls = [
          ...stdout.matchAll(
            /"url":"([^"]+)"[^\n]*Memory Mirror listening|Memory Mirror listening[^\n]*"url":"([^"]+)"/g,
          ),
        ];
        const last = urls.at(-1);
        const url = last?.[1] ?? last?.[2];
        if (url) {
          const body = await fetch(`${url}/healthz`).then(
            (r) => r.text(),
            () => "",
          );
          if (body.includes(marker)) return;
        }
        if (child!.exitCode !== null) throw new Error(`the watcher exited:\n${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      throw new Error(`/healthz never served ${marker}; the watcher printed:\n${stdout}`);
    };

    await served('"ok"');
    await writeFile(imported, original.replace('c.json({ status: "ok" })', 'c.json({ status: "ok", edit: 1 })'));
    await served('"edit":1');
    await writeFile(imported, original.replace('c.json({ status: "ok" })', 'c.json({ status: "ok", edit: 2 })'));
    // The edit node --watch --import tsx missed.
    await served('"edit":2');
  });
});
