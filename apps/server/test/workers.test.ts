/** WORKERS > 1: several server processes behind one port, on one PostgreSQL (cluster.ts). */
import { createTestDatabase, testTargets } from "@memory-mirror/db/testing";
import { describe, expect, it } from "vitest";
import { startServerProcess } from "./server-process.ts";

const postgres = (await testTargets()).find((t) => t.name === "postgres");

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!!postgres?.skip)("WORKERS=2 on PostgreSQL", () => {
  // Three server processes compile the sources with tsx one after another: far slower than one on a busy machine.
  it(
    "answers from two processes on one port, replaces one that dies, stops all on SIGTERM",
    { timeout: 120_000 },
    async () => {
      const database = await createTestDatabase("postgres");
      const server = await startServerProcess({ DATABASE_URL: database.url, WORKERS: "2", AUTH: "off" });
      try {
        // Each worker logs that it listens once its database is open; the port is the same for both.
        await expect
          .poll(() => server.logs.filter((l) => l.msg === "Memory Mirror listening").length, { timeout: 60_000 })
          .toBe(2);
        const listening = server.logs.filter((l) => l.msg === "Memory Mirror listening");
        expect(new Set(listening.map((l) => l.url))).toEqual(new Set([server.url]));
        const workers = new Set(listening.map((l) => Number(l.pid)));
        expect(workers.size).toBe(2);
        expect(workers.has(server.child.pid ?? -1)).toBe(false);

        // A new connection per request: the primary hands connections to the workers in turn.
        for (let i = 0; i < 6; i++) {
          const answer = await fetch(`${server.url}/healthz`, { headers: { connection: "close" } });
          expect(answer.status).toBe(200);
        }
        await expect
          .poll(() => new Set(server.logs.filter((l) => l.msg === "request").map((l) => Number(l.pid))), {
            timeout: 10_000,
          })
          .toEqual(workers);

        // A worker that dies after it started is replaced by a new one on the same port.
        const [victim] = workers;
        process.kill(victim!, "SIGKILL");
        await expect
          .poll(() => server.logs.filter((l) => l.msg === "Memory Mirror listening").length, { timeout: 60_000 })
          .toBe(3);
        const replacement = Number(server.logs.filter((l) => l.msg === "Memory Mirror listening")[2]?.pid);
        expect(workers.has(replacement)).toBe(false);
        expect(server.logs.find((l) => l.msg === "a server process died; starting another")).toMatchObject({
          pid: victim,
          signal: "SIGKILL",
        });
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

        server.child.kill("SIGTERM");
        expect(await server.exited).toBe(0);
        expect(server.logs.filter((l) => l.msg === "Memory Mirror stopped")).toHaveLength(2);
        expect([...workers, replacement].filter(alive)).toEqual([]);
      } finally {
        server.child.kill("SIGKILL");
        await database.drop();
      }
    },
  );
});
