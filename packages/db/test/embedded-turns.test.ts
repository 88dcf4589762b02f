/**
 * The embedded database runs each queued statement in an event-loop turn of its own (turns.ts): a server accepts
 * one connection per turn, so a queue of statements run back to back kept new connections waiting for seconds.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryDriver } from "../src/driver-queries.ts";
import { openTestDb } from "../src/testing.ts";

describe("the embedded database's queued statements", () => {
  let db: Awaited<ReturnType<typeof openTestDb>>;
  beforeAll(async () => {
    db = await openTestDb("embedded");
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it("leave the event loop turns between them, so a server accepts connections while they wait", async () => {
    const events: string[] = [];
    const server = net.createServer((socket) => {
      events.push("accepted");
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    const clients: net.Socket[] = [];
    try {
      // Queued at once through the driver adapter: the list's, lookups' and searches' path, the shortest from a
      // request to PGlite's lock (no step of it waits for the event loop by itself).
      const statements = Array.from({ length: 24 }, (_, i) =>
        queryDriver(db.prisma, "SELECT count(*) FROM generate_series(1, 20000)", []).then(() =>
          events.push(`statement ${i}`),
        ),
      );
      for (let i = 0; i < 4; i++) clients.push(net.connect(port, "127.0.0.1").on("error", () => {}));
      await Promise.all(statements);
      const lastStatement = events.indexOf("statement 23");
      const accepted = events.flatMap((event, at) => (event === "accepted" ? [at] : []));
      expect(accepted).toHaveLength(4);
      // Each connection accepted before the queue ran out: with the statements back to back, after all of them.
      expect(Math.max(...accepted)).toBeLessThan(lastStatement);
      // And the statements answered in the order they were queued (the lock is first come, first served).
      expect(events.filter((event) => event !== "accepted")).toEqual(
        Array.from({ length: 24 }, (_, i) => `statement ${i}`),
      );
    } finally {
      for (const client of clients) client.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
