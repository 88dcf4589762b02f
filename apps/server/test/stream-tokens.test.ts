/**
 * Stream tokens, for browsers' EventSource (no headers): minted by an authenticated POST (or videoAnalysis.streamToken),
 * they open change streams of their key and space only, as `?token=`, for a minute, and nothing else; they never
 * reach the request log; a refused one counts against its address like a refused key.
 */
import { createMemoryMirrorClient } from "@memory-mirror/client";
import { keyService, mintStreamToken } from "@memory-mirror/api";
import { testTargets } from "@memory-mirror/db/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH_FAILURES_PER_MINUTE } from "../src/guards.ts";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { readSse, type SseEvent } from "./support/sse.ts";

const targets = await testTargets();

const parsed = (events: SseEvent[]) => events.map((e) => JSON.parse(e.data) as { type: string; video_id?: string });

for (const target of targets) {
  describe.skipIf(!!target.skip)(`stream tokens on the ${target.name} database`, () => {
    let server: TestServer;
    let reader: string;
    let writer: string;
    let admin: string;
    const logs: string[] = [];
    const auth = (key: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${key}`, ...extra });
    const mint = async (key: string, headers: Record<string, string> = {}) => {
      const response = await fetch(`${server.url}/api/changes/token`, { method: "POST", headers: auth(key, headers) });
      expect(response.status).toBe(200);
      return (await response.json()) as { token: string; expires_at: string };
    };
    const write = (key: string, videoId: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/api/video-analysis/`, {
        method: "POST",
        headers: auth(key, { "content-type": "application/json", ...headers }),
        body: JSON.stringify({ video_id: videoId, description: videoId }),
      });
    const problem = async (response: Response) => ({
      status: response.status,
      detail: ((await response.json()) as { detail?: string; error?: { message: string } }).detail,
    });

    beforeAll(async () => {
      const logger = pino({ level: "info" }, { write: (line: string) => void logs.push(line) });
      server = await startTestServer(target.name, { auth: "required" }, { logger });
      reader = await server.createKey({ name: "reader", space: "space-a", scopes: ["read"] });
      writer = await server.createKey({ name: "writer", space: "space-a", scopes: ["write"] });
      admin = await server.createKey({ name: "admin", space: "*", scopes: ["read", "write", "admin"] });
    });
    afterAll(() => server?.close());

    it("opens GET /api/changes?token= without any header, carrying the key's space, for a minute", async () => {
      const { token, expires_at } = await mint(reader);
      expect(token).toMatch(/^mmst_/);
      const lifetime = Date.parse(expires_at) - Date.now();
      expect(lifetime).toBeGreaterThan(50_000);
      expect(lifetime).toBeLessThanOrEqual(60_000);
      const stream = await readSse(`${server.url}/api/changes?token=${token}`);
      expect(stream.status).toBe(200);
      await stream.until(1);
      expect((await write(admin, "elsewhere", { "x-mm-space": "space-b" })).status).toBe(201);
      expect((await write(writer, "tokened")).status).toBe(201);
      expect(parsed((await stream.until(2)).slice(1))).toMatchObject([{ type: "created", video_id: "tokened" }]);
      // The same token opens another stream (an EventSource reconnecting) while it is valid.
      const again = await readSse(`${server.url}/api/changes?token=${token}`, { "last-event-id": "0" });
      expect(parsed(await again.until(1))).toMatchObject([{ type: "created", video_id: "tokened" }]);
      for (const s of [stream, again]) s.close();
    });

    it("opens the tRPC subscription with &token=, minted through the typed client", async () => {
      const client = createMemoryMirrorClient({ url: server.url, apiKey: reader });
      const { token, expiresAt } = await client.videoAnalysis.streamToken.mutate({});
      expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
      const input = encodeURIComponent(JSON.stringify({ lastEventId: "0" }));
      const stream = await readSse(`${server.url}/trpc/videoAnalysis.onChange?input=${input}&token=${token}`);
      expect(stream.status).toBe(200);
      const events = await stream.until(2);
      const created = events.map((e) => JSON.parse(e.data) as { videoId?: string }).find((d) => d.videoId);
      expect(created?.videoId).toBe("tokened");
      stream.close();
    });

    it("an admin key's token is bound to the space it was minted in", async () => {
      const { token } = await mint(admin, { "x-mm-space": "space-b" });
      const stream = await readSse(`${server.url}/api/changes?token=${token}`);
      await stream.until(1);
      expect((await write(writer, "not-b")).status).toBe(201);
      expect((await write(admin, "in-b", { "x-mm-space": "space-b" })).status).toBe(201);
      expect(parsed((await stream.until(2)).slice(1))).toMatchObject([{ type: "created", video_id: "in-b" }]);
      stream.close();
    });

    it("refuses an expired token (401 saying so)", async () => {
      const row = await server.server.database.prisma.apiKey.findUniqueOrThrow({ where: { name: "reader" } });
      const principal = { keyId: row.id, name: row.name, space: row.space, scopes: ["read" as const] };
      const { token } = await mintStreamToken(server.server.database.prisma, principal, "space-a", Date.now() - 61_000);
      expect(await problem(await fetch(`${server.url}/api/changes?token=${token}`))).toEqual({
        status: 401,
        detail: expect.stringContaining("The stream token expired") as string,
      });
    });

    it("refuses a token for another space (403), and one altered to claim another space (401)", async () => {
      const { token } = await mint(reader);
      const otherSpace = await fetch(`${server.url}/api/changes?token=${token}`, {
        headers: { "x-mm-space": "space-b" },
      });
      expect(await problem(otherSpace)).toEqual({
        status: 403,
        detail: 'This stream token opens streams of space "space-a" only (it was minted there), not "space-b"',
      });
      const [payload, mac] = token.slice("mmst_".length).split(".");
      const claims = JSON.parse(Buffer.from(payload!, "base64url").toString()) as { s: string };
      const altered = Buffer.from(JSON.stringify({ ...claims, s: "space-b" })).toString("base64url");
      const forged = await fetch(`${server.url}/api/changes?token=mmst_${altered}.${mac}`);
      expect(await problem(forged)).toEqual({
        status: 401,
        detail: expect.stringContaining("The stream token is not valid") as string,
      });
    });

    it("is no API key: refused as a bearer key and as ?token= anywhere but a stream (401)", async () => {
      const { token } = await mint(reader);
      const asKey = await fetch(`${server.url}/api/video-analysis/`, { headers: { authorization: `Bearer ${token}` } });
      expect(asKey.status).toBe(401);
      expect((await problem(asKey)).detail).toContain("A stream token is not an API key");
      const asStreamKey = await fetch(`${server.url}/api/changes`, { headers: { authorization: `Bearer ${token}` } });
      expect(asStreamKey.status).toBe(401);
      const elsewhere = await fetch(`${server.url}/api/video-analysis/?token=${token}`);
      expect(elsewhere.status).toBe(401);
      expect((await problem(elsewhere)).detail).toContain("An API key is required");
      const viaTrpc = await fetch(`${server.url}/trpc/videoAnalysis.list?token=${token}`);
      expect(viaTrpc.status).toBe(401);
      // Nor does a token mint tokens.
      const minting = await fetch(`${server.url}/api/changes/token?token=${token}`, { method: "POST" });
      expect(minting.status).toBe(401);
    });

    it("is minted only for a key with read scope, and never reaches the log", async () => {
      const refused = await fetch(`${server.url}/api/changes/token`, { method: "POST", headers: auth(writer) });
      expect(refused.status).toBe(403);
      const { token } = await mint(reader);
      const stream = await readSse(`${server.url}/api/changes?token=${token}`);
      await stream.until(1);
      stream.close();
      await fetch(`${server.url}/api/video-analysis/?token=${token}`);
      // The requests above were logged (the log is on), without the token or its signature.
      await expect.poll(() => logs.filter((line) => line.includes('"path":"/api/changes"')).length).toBeGreaterThan(0);
      expect(logs.join("\n")).not.toContain(token.split(".")[1]!);
      // A deleted key's tokens stop working at once.
      await keyService.revoke({ prisma: server.server.database.prisma }, { key: "reader" });
      expect((await fetch(`${server.url}/api/changes?token=${token}`)).status).toBe(401);
    });

    describe("refused stream tokens count as failed authentications of their address", () => {
      // A server of its own: the address (this machine) ends up blocked for a minute.
      let own: TestServer;
      beforeAll(async () => {
        own = await startTestServer(target.name, { auth: "required", keyCacheMs: 60_000 });
      });
      afterAll(() => own?.close());

      it("up to the limit a 401 each, on both stream paths; then 429 unchecked, valid tokens and keys included", async () => {
        const key = await own.createKey({ name: "watcher", space: "space-a", scopes: ["read"] });
        const mintOwn = () => fetch(`${own.url}/api/changes/token`, { method: "POST", headers: auth(key) });
        const { token } = (await (await mintOwn()).json()) as { token: string };
        // Well-formed with a wrong signature (costs a key lookup), and malformed.
        const forged = `${token.slice(0, token.indexOf(".") + 1)}${"A".repeat(43)}`;
        const input = encodeURIComponent(JSON.stringify({}));
        const open = (t: string, i: number) =>
          fetch(
            i % 2 === 0
              ? `${own.url}/api/changes?token=${t}`
              : `${own.url}/trpc/videoAnalysis.onChange?input=${input}&token=${t}`,
          );
        for (let i = 0; i < AUTH_FAILURES_PER_MINUTE; i++) {
          const refused = await open(i % 3 === 0 ? "mmst_guess" : forged, i);
          expect(refused.status).toBe(401);
          await refused.body?.cancel();
        }
        for (const [i, t] of [forged, token].entries()) {
          const blocked = await open(t, i);
          expect(blocked.status).toBe(429);
          expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
          expect(await blocked.text()).toContain("Too many failed authentications from this address");
        }
        // The same count as keys: an unknown key is refused unchecked too, while the key verified before still mints.
        const guess = await fetch(`${own.url}/api/video-analysis/`, { headers: auth(`mm_${"g".repeat(43)}`) });
        expect(guess.status).toBe(429);
        expect((await mintOwn()).status).toBe(200);
      });
    });
  });
}
