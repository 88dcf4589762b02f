import { type ChildProcessByStdio, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../src/client.ts";
import { DatabaseConfigError } from "../src/config.ts";
import { LOCK_FILE } from "../src/embedded.ts";
import { acquireDirectoryLock, DirectoryLockedError } from "../src/lock.ts";
import { createTestDatabase, prepareClusterTemplate } from "../src/testing.ts";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
type Child = ChildProcessByStdio<Writable, Readable, null>;

/** Starts `node --import tsx <fixture> …args`; resolves once it printed "ready". */
async function start(
  name: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<{ child: Child; lines: string[] }> {
  const child = spawn(process.execPath, ["--import", "tsx", fixture(name), ...args], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines: string[] = [];
  let buffer = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    lines.push(...parts);
    child.stdout.emit("line");
  });
  await nextLine(child, lines, 0);
  return { child, lines };
}

function nextLine(child: Child, lines: string[], index: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (lines.length > index) {
        child.stdout.off("line", check);
        child.off("exit", exited);
        resolve(lines[index]!);
      }
    };
    const exited = (code: number | null) =>
      reject(new Error(`${child.spawnfile} exited (${code}) before printing line ${index + 1}`));
    child.stdout.on("line", check);
    child.once("exit", exited);
    check();
  });
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await once(child, "exit");
  return child.pid!;
}

const lockRecord = (owner: { pid: number; hostname?: string; token?: string }) =>
  `${JSON.stringify({ hostname: hostname(), token: `t-${owner.pid}`, since: "2026-01-01T00:00:00.000Z", ...owner })}\n`;

describe("embedded data directory lock", () => {
  const temp = mkdtemp(path.join(tmpdir(), "mm-lock-"));
  beforeAll(() => prepareClusterTemplate()); // the one initdb of this file, outside the tests' time
  afterAll(async () => rm(await temp, { recursive: true, force: true }));
  const fresh = async () => mkdtemp(path.join(await temp, "d-"));

  // Opens an on-disk cluster twice (≈ 2 s alone, ≈ 20 s with the cores saturated by the rest of pnpm test).
  it("has one owner at a time, is released by close() and keeps its data", { timeout: 90_000 }, async () => {
    const { url } = await createTestDatabase("embedded", path.join(await fresh(), "data"));
    const first = await createDb(url);
    try {
      await first.migrate();
      await first.prisma.videoAnalysis.create({ data: { space: "default", videoId: "v1", description: "persisted" } });
      const second = createDb(url);
      await expect(second).rejects.toThrow(DatabaseConfigError);
      await expect(second).rejects.toThrow(new RegExp(`is in use by another process \\(process ${process.pid} on `));
    } finally {
      await first.close();
    }
    const reopened = await createDb(url);
    try {
      expect(await reopened.pendingMigrations()).toEqual([]);
      expect(
        await reopened.prisma.videoAnalysis.findUnique({
          where: { space_videoId: { space: "default", videoId: "v1" } },
        }),
      ).toMatchObject({ description: "persisted" });
    } finally {
      await reopened.close();
    }
  });

  // Tests with child processes (each loads tsx): a few seconds here, much more with the cores saturated.
  it(
    "refuses while a live server holds it, and opens at once after that server is killed with SIGKILL",
    { timeout: 60_000 },
    async () => {
      const { url } = await createTestDatabase("embedded", path.join(await fresh(), "data"));
      const { child } = await start("hold-database.ts", [], { DATABASE_URL: url });
      const lockFile = path.join(url.slice("file:".length), LOCK_FILE);
      try {
        await expect(createDb(url)).rejects.toThrow(
          new RegExp(`in use by another process \\(process ${child.pid} on ${hostname()}`),
        );
      } finally {
        child.kill("SIGKILL");
        await once(child, "exit");
      }
      // proper-lockfile refused here for 7–10 s (it judged staleness by age): the dead pid alone must free it, at
      // the first attempt, with no wait to time.
      const lock = await acquireDirectoryLock(lockFile);
      expect(lock.owner.pid).toBe(process.pid);
      await lock.release();
      const restarted = await createDb(url);
      try {
        expect(await restarted.pendingMigrations()).toEqual([]);
      } finally {
        await restarted.close();
      }
    },
  );

  it(
    "lets exactly one of several processes take over a dead owner's lock at the same moment",
    { timeout: 60_000 },
    async () => {
      const file = path.join(await fresh(), LOCK_FILE);
      await writeFile(file, lockRecord({ pid: await deadPid() }));
      const takers = await Promise.all([1, 2, 3, 4].map(() => start("take-lock.ts", [file])));
      try {
        for (const { child } of takers) child.stdin.write("go\n");
        const results = await Promise.all(takers.map(({ child, lines }) => nextLine(child, lines, 1)));
        const winners = takers.filter((_, i) => results[i] === "won");
        expect(winners).toHaveLength(1);
        expect(results.filter((r) => r !== "won")).toEqual(Array(3).fill(`held ${winners[0]!.child.pid}`));
      } finally {
        for (const { child } of takers) child.stdin.end();
        await Promise.all(
          takers.filter(({ child }) => child.exitCode === null).map(({ child }) => once(child, "exit")),
        );
      }
      // The winner released it on the way out: free again, and no claim files left behind.
      const lock = await acquireDirectoryLock(file);
      await lock.release();
    },
  );

  it("in one process, too: concurrent takers of a dead owner's lock get exactly one winner", async () => {
    const file = path.join(await fresh(), LOCK_FILE);
    await writeFile(file, lockRecord({ pid: await deadPid() }));
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => acquireDirectoryLock(file)));
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(DirectoryLockedError);
    await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireDirectoryLock>>>).value.release();
  });

  it("cannot tell whether another host's process lives: refuses and says which file to delete", async () => {
    const dir = await fresh();
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, LOCK_FILE), lockRecord({ pid: 1, hostname: "other-host" }));
    const opening = createDb(`file:${dir}`);
    await expect(opening).rejects.toThrow(/process 1 on other-host/);
    await expect(opening).rejects.toThrow(
      `If nothing runs on other-host any more, delete ${path.join(dir, LOCK_FILE)}`,
    );
  });

  it("treats a lock naming this process's pid that this process does not hold as stale (containers reuse pids)", async () => {
    const file = path.join(await fresh(), LOCK_FILE);
    await writeFile(file, lockRecord({ pid: process.pid, token: "a-previous-incarnation" }));
    const lock = await acquireDirectoryLock(file);
    await expect(acquireDirectoryLock(file)).rejects.toThrow(DirectoryLockedError);
    await lock.release();
  });

  it("honours an earlier version's proper-lockfile directory while it is fresh, and removes it once stale", async () => {
    const file = path.join(await fresh(), LOCK_FILE);
    await mkdir(file);
    await expect(acquireDirectoryLock(file)).rejects.toThrow(DirectoryLockedError);
    const old = new Date(Date.now() - 60_000);
    await utimes(file, old, old);
    const lock = await acquireDirectoryLock(file);
    await lock.release();
  });
});
