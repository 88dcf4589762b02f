/**
 * Regression tests for a write that keeps colliding with concurrent writes: a deadlock (40P01) or serialization
 * failure (40001) that outlives the service's own retries is a 503 (Retry-After: 1) saying so — rolled back, nothing changed, send it
 * again — never "the database is not reachable". The database raises the real SQLSTATEs from inside the write's own
 * statement (a trigger), through the real driver adapters, on both databases; a sequence counts the attempts, since
 * nextval survives the rollback of each one.
 */
import { testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";

const targets = await testTargets();

/** write.ts's MAX_ATTEMPTS: a deadlock is run again this many times in all before the caller hears of it. */
const WRITE_ATTEMPTS = 8;
const COLLIDED =
  /^This request collided with concurrent writes to the same data \(a deadlock or serialization failure\)/;

for (const target of targets) {
  describe.skipIf(!!target.skip)(`a write that keeps colliding on the ${target.name} database`, () => {
    let server: TestServer;
    const sql = (text: string) => server.server.database.prisma.$executeRawUnsafe(text);
    const attempts = async () =>
      Number(
        (
          await server.server.database.prisma.$queryRawUnsafe<{ n: bigint }[]>(
            "SELECT last_value - 1 + (CASE WHEN is_called THEN 1 ELSE 0 END) AS n FROM mm_attempts",
          )
        )[0]!.n,
      );

    beforeAll(async () => {
      server = await startTestServer(target.name);
      const created = await fetch(`${server.url}/api/video-analysis/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ video_id: "seed", description: "as stored" }),
      });
      expect(created.status).toBe(201);
      // Writes whose description asks for it fail as a lost deadlock (or serialization failure) would.
      await sql("CREATE SEQUENCE mm_attempts");
      await sql(`CREATE FUNCTION mm_collide() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF (TG_OP = 'DELETE' AND OLD."description" = 'deleted collides')
             OR (TG_OP <> 'DELETE' AND NEW."description" IN ('deadlock', 'serialization')) THEN
            PERFORM nextval('mm_attempts');
            IF TG_OP <> 'DELETE' AND NEW."description" = 'deadlock' THEN
              RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01';
            END IF;
            RAISE EXCEPTION 'could not serialize access due to concurrent update' USING ERRCODE = '40001';
          END IF;
          RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$`);
      await sql(`CREATE TRIGGER mm_collide BEFORE INSERT OR UPDATE OR DELETE ON "VideoAnalysis"
        FOR EACH ROW EXECUTE FUNCTION mm_collide()`);
    });
    afterAll(() => server?.close());

    const stored = async () =>
      ((await (await fetch(`${server.url}/api/video-analysis/seed`)).json()) as { description: string }).description;

    it("a tRPC update still deadlocking after every retry is a 503 that says it collided and may be sent again", async () => {
      const before = await attempts();
      const response = await fetch(`${server.url}/trpc/videoAnalysis.update`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ videoId: "seed", description: "deadlock" }),
      });
      const body = (await response.json()) as { error: { message: string; data: { code: string } } };
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("1");
      expect(body.error.data.code).toBe("SERVICE_UNAVAILABLE");
      expect(body.error.message).toMatch(COLLIDED);
      expect(body.error.message).toContain(`${WRITE_ATTEMPTS} times in a row`);
      expect(body.error.message).toContain("nothing changed; send it again");
      expect(body.error.message).not.toMatch(/not reachable/);
      expect((await attempts()) - before).toBe(WRITE_ATTEMPTS);
      expect(await stored()).toBe("as stored");
    });

    it("a batch whose other call succeeded carries no Retry-After: resending it would run that call again", async () => {
      const updates = (...descriptions: string[]) =>
        fetch(`${server.url}/trpc/${descriptions.map(() => "videoAnalysis.update").join(",")}?batch=1`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          // tRPC's batch body: each call's input under its index.
          body: JSON.stringify(
            Object.fromEntries(descriptions.map((description, i) => [i, { videoId: "seed", description }])),
          ),
        });
      const mixed = await updates("deadlock", "as stored");
      expect(mixed.status).toBe(207);
      expect(mixed.headers.get("retry-after")).toBeNull();
      const both = await updates("deadlock", "serialization");
      expect(both.status).toBe(503);
      expect(both.headers.get("retry-after")).toBe("1");
    });

    it("a REST PUT failing on serialization is the same 503 in FastAPI's shape", async () => {
      const response = await fetch(`${server.url}/api/video-analysis/seed`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ description: "serialization" }),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("1");
      const { detail } = (await response.json()) as { detail: string };
      expect(detail).toMatch(COLLIDED);
      expect(detail).toContain(`${WRITE_ATTEMPTS} times in a row`);
      expect(await stored()).toBe("as stored");
    });

    it("a bulk upsert that keeps deadlocking is the same 503, every item rolled back", async () => {
      const response = await fetch(`${server.url}/trpc/videoAnalysis.upsertMany`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          items: [
            { videoId: "fresh", description: "fine" },
            { videoId: "seed", description: "deadlock" },
          ],
        }),
      });
      expect(response.status).toBe(503);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(COLLIDED);
      expect((await fetch(`${server.url}/api/video-analysis/fresh`)).status).toBe(404);
    });

    it("a delete the service runs once names no count of attempts, and the analysis stays", async () => {
      await fetch(`${server.url}/api/video-analysis/seed`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ description: "deleted collides" }),
      });
      const response = await fetch(`${server.url}/api/video-analysis/seed`, { method: "DELETE" });
      expect(response.status).toBe(503);
      const { detail } = (await response.json()) as { detail: string };
      expect(detail).toBe(
        "This request collided with concurrent writes to the same data (a deadlock or serialization failure) and " +
          "the database rolled it back: nothing changed; send it again",
      );
      expect(await stored()).toBe("deleted collides");
    });
  });
}
