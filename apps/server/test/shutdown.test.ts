/**
 * SIGTERM under keep-alive load. Every request sent before the server stopped listening gets its answer
 * (none is reset), answers while draining say `Connection: close`, and the process exits 0.
 */
import http from "node:http";
import { describe, expect, it } from "vitest";
import { startServerProcess } from "./server-process.ts";

interface Outcome {
  /** Wall-clock time (ms, sub-ms precision) when the whole request had been handed to the OS. */
  sentAt: number;
  status?: number;
  connection?: string;
  error?: string;
}

/** One request on the keep-alive agent; never rejects. */
function request(agent: http.Agent, url: URL): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { sentAt: Number.POSITIVE_INFINITY };
    const req = http.get(url, { agent }, (res) => {
      res.resume();
      res.on("end", () => resolve({ ...outcome, status: res.statusCode, connection: res.headers.connection }));
      res.on("error", (error) =>
        resolve({ ...outcome, error: (error as NodeJS.ErrnoException).code ?? error.message }),
      );
    });
    req.on("finish", () => (outcome.sentAt = performance.timeOrigin + performance.now()));
    req.on("error", (error) => resolve({ ...outcome, error: (error as NodeJS.ErrnoException).code ?? error.message }));
  });
}

describe("SIGTERM under keep-alive load", () => {
  // A server process under load from 32 clients: 3-5 s here, 10-18 s with the machine's cores saturated.
  it(
    "answers every request sent before it stopped listening, says Connection: close while draining, exits 0",
    { timeout: 60_000 },
    async () => {
      // In memory: the child's initdb costs what writing a template here would (the database is not the point).
      const server = await startServerProcess({ DATABASE_URL: "memory:", SHUTDOWN_TIMEOUT_MS: "10000" });
      const CLIENTS = 32;
      const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
      const paths = ["/healthz", `/trpc/videoAnalysis.list?input=${encodeURIComponent('{"limit":1}')}`];
      const outcomes: Outcome[] = [];
      let signalled: () => void = () => {};
      const enoughLoad = new Promise<void>((resolve) => (signalled = resolve));
      let running = true;
      // Each client sends its next request as soon as the previous answer arrived, on the same connection.
      const clients = Array.from({ length: CLIENTS }, async (_, i) => {
        for (let n = 0; running; n++) {
          const outcome = await request(agent, new URL(paths[(i + n) % paths.length]!, server.url));
          outcomes.push(outcome);
          if (outcomes.length === CLIENTS * 5) signalled();
          if (outcome.error) break; // the server is gone: this client is done
        }
      });
      await enoughLoad;
      server.child.kill("SIGTERM");
      const code = await server.exited;
      running = false;
      await Promise.all(clients);
      agent.destroy();

      expect(code).toBe(0);
      // Logged (with the same clock) in the tick the listening socket closed.
      const closedAt = Number(server.logs.find((l) => l.msg === "stopped listening")?.at);
      expect(closedAt).toBeGreaterThan(0);
      const before = outcomes.filter((o) => o.sentAt < closedAt);
      const failedBefore = before.filter((o) => o.error !== undefined || o.status !== 200);
      expect(before.length).toBeGreaterThan(CLIENTS * 5);
      expect(failedBefore, JSON.stringify(failedBefore.slice(0, 5))).toEqual([]);
      // Answers given while draining close their connection instead of inviting another request on it.
      const drainingAnswers = outcomes.filter((o) => o.status !== undefined && o.sentAt >= closedAt);
      for (const o of drainingAnswers) expect(o.connection).toBe("close");
      // After close nothing new is accepted: later requests fail to connect, they are never half-answered.
      for (const o of outcomes.filter((o) => o.error !== undefined))
        expect(["ECONNREFUSED", "ECONNRESET", "EPIPE"]).toContain(o.error);
      console.info(
        `keep-alive shutdown: ${before.length} requests before close, all answered; ${drainingAnswers.length} answered while draining; ` +
          `${outcomes.filter((o) => o.error).length} refused after close`,
      );
    },
  );
});
