/**
 * Regression tests for REST's 409 wording: only a create whose video_id is taken answers the original service's
 * "already exists"; an update, a delete or a bulk upsert that lost its race to concurrent writes (a unique violation
 * on every attempt) says the analysis changed meanwhile and to retry. The database raises the real SQLSTATE (23505)
 * from inside the write's own statement (a trigger), through the real driver adapters, on both databases.
 */
import { testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";

const targets = await testTargets();

for (const target of targets)
  describe.skipIf(!!target.skip)(`REST 409 messages on the ${target.name} database`, () => {
    let server: TestServer;
    const sql = (text: string) => server.server.database.prisma.$executeRawUnsafe(text);
    const rest = (path: string, method: string, body?: unknown) =>
      fetch(`${server.url}/api/${path}`, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const detail = async (response: Response) => ((await response.json()) as { detail: string }).detail;

    beforeAll(async () => {
      server = await startTestServer(target.name);
      expect((await rest("video-analysis/", "POST", { video_id: "seed", description: "as stored" })).status).toBe(201);
      // Writes that ask for it fail as a write losing its race to a concurrent one would: a unique violation.
      await sql(`CREATE FUNCTION mm_race() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF (TG_OP = 'DELETE' AND OLD."description" = 'delete collides')
             OR (TG_OP <> 'DELETE' AND NEW."description" = 'collides') THEN
            RAISE EXCEPTION 'duplicate key value violates unique constraint' USING ERRCODE = '23505';
          END IF;
          RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$`);
      await sql(`CREATE TRIGGER mm_race BEFORE INSERT OR UPDATE OR DELETE ON "VideoAnalysis"
        FOR EACH ROW EXECUTE FUNCTION mm_race()`);
    });
    afterAll(() => server?.close());

    it("a create of a taken video_id keeps the original's 'already exists'", async () => {
      const response = await rest("video-analysis/", "POST", { video_id: "seed", description: "again" });
      expect(response.status).toBe(409);
      expect(await detail(response)).toBe("Video analysis for this video_id already exists");
    });

    it("an update that keeps colliding says the analysis changed meanwhile, not that it already exists", async () => {
      const response = await rest("video-analysis/seed", "PUT", { description: "collides" });
      expect(response.status).toBe(409);
      const text = await detail(response);
      expect(text).toMatch(/^The analysis changed while this update ran .*read it again and retry$/);
      expect(text).not.toMatch(/already exists/);
      expect(((await (await rest("video-analysis/seed", "GET")).json()) as { description: string }).description).toBe(
        "as stored",
      );
    });

    it("a delete that collides says the analysis changed meanwhile and to try again", async () => {
      await rest("video-analysis/", "POST", { video_id: "doomed", description: "delete collides" });
      const response = await rest("video-analysis/doomed", "DELETE");
      expect(response.status).toBe(409);
      expect(await detail(response)).toMatch(/^The analysis changed while this delete ran .*try again$/);
      expect((await rest("video-analysis/doomed", "GET")).status).toBe(200);
    });

    it("a bulk upsert that keeps colliding says other writes kept changing the analyses", async () => {
      const response = await rest("bulk/upsert", "POST", { items: [{ video_id: "seed", description: "collides" }] });
      expect(response.status).toBe(409);
      expect(await detail(response)).toMatch(/^Other writes kept creating or changing these analyses .*try again$/);
    });
  });
