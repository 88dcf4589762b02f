import { openTestDb, testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  ANONYMOUS,
  createCaller,
  createContext,
  createKeyVerifier,
  KEY_PATTERN,
  KEY_SCOPES,
  keyService,
  type Principal,
} from "../src/index.ts";

/** An admin key's principal: key management answers real keys only, never the anonymous caller of AUTH=off. */
const ADMIN: Principal = { keyId: "admin-key", name: "admin", space: "*", scopes: KEY_SCOPES };

const targets = await testTargets();

for (const target of targets)
  describe.skipIf(!!target.skip)(`API keys on the ${target.name} database`, () => {
    let db: Awaited<ReturnType<typeof openTestDb>>;
    let admin: ReturnType<typeof createCaller>;

    beforeAll(async () => {
      db = await openTestDb(target.name);
      admin = createCaller(() => createContext({ prisma: db.prisma, principal: ADMIN, space: "default" }));
    });
    afterAll(async () => {
      await db?.dispose();
    });

    it("creates a 256-bit mm_ key, shows it once and stores only its SHA-256", async () => {
      const { key, info } = await admin.keys.create({
        name: "producer",
        space: "alice",
        scopes: ["write", "read", "read"],
      });
      expect(key).toMatch(KEY_PATTERN);
      expect(info).toMatchObject({
        name: "producer",
        space: "alice",
        scopes: ["read", "write"],
        lastUsedAt: null,
        expiresAt: null,
      });
      expect(info.prefix).toBe(key.slice(0, 7));
      const row = await db.prisma.apiKey.findUniqueOrThrow({ where: { name: "producer" } });
      expect(JSON.stringify(row)).not.toContain(key.slice(7));
      expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
      const listed = await admin.keys.list();
      expect(JSON.stringify(listed)).not.toContain(key);
      expect(listed.items.map((k) => k.name)).toContain("producer");
    });

    it("refuses duplicate names, admin scope outside space *, unknown scopes and past expiry", async () => {
      await admin.keys.create({ name: "dup", space: "alice", scopes: ["read"] });
      await expect(admin.keys.create({ name: "dup", space: "bob", scopes: ["read"] })).rejects.toMatchObject({
        code: "CONFLICT",
      });
      // The caller's message is zod's own JSON; over HTTP the error formatter turns it into these sentences.
      await expect(admin.keys.create({ name: "x1", space: "alice", scopes: ["admin"] })).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringContaining('admin keys act in any space: give them space \\"*\\"') as string,
      });
      await expect(
        admin.keys.create({ name: "x2", space: "alice", scopes: ["delete" as never] }),
      ).rejects.toMatchObject({ code: "BAD_REQUEST" });
      await expect(admin.keys.create({ name: "x3", space: "Alice!", scopes: ["read"] })).rejects.toMatchObject({
        code: "BAD_REQUEST",
      });
      await expect(
        admin.keys.create({ name: "x4", space: "alice", scopes: ["read"], expiresAt: "2000-01-01T00:00:00Z" }),
      ).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringContaining("expiresAt must be in the future") as string,
      });
    });

    it("verifies keys, records their last use, and forgets revoked ones within the cache time", async () => {
      const verify = createKeyVerifier(db.prisma, { cacheMs: 50, touchEveryMs: 0 });
      const { key } = await admin.keys.create({ name: "clone", space: "bob", scopes: ["read"] });
      expect(await verify(key)).toMatchObject({ name: "clone", space: "bob", scopes: ["read"] });
      await expect
        .poll(async () => (await db.prisma.apiKey.findUniqueOrThrow({ where: { name: "clone" } })).lastUsedAt)
        .not.toBeNull();

      expect(await verify(`${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`)).toBeUndefined();
      expect(await verify("mm_short")).toBeUndefined();
      expect(await verify("")).toBeUndefined();

      await admin.keys.revoke({ key: "clone" });
      await expect.poll(() => verify(key), { timeout: 2000 }).toBeUndefined();
      await expect(admin.keys.revoke({ key: "clone" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    });

    it("refuses key management to the anonymous caller of AUTH=off", async () => {
      const anonymous = createCaller(() =>
        createContext({ prisma: db.prisma, principal: ANONYMOUS, space: "default" }),
      );
      await expect(anonymous.keys.create({ name: "minted", space: "*", scopes: ["admin"] })).rejects.toMatchObject({
        code: "FORBIDDEN",
        message: expect.stringContaining("pnpm keys:create --admin") as string,
      });
      await expect(anonymous.keys.list()).rejects.toMatchObject({ code: "FORBIDDEN" });
    });

    it("keeps verified keys cached however many unknown keys are tried (misses never evict them)", async () => {
      const verify = createKeyVerifier(db.prisma, { cacheMs: 60_000, cacheSize: 50 });
      const { key } = await admin.keys.create({ name: "cached", space: "bob", scopes: ["read"] });
      expect(await verify(key)).toMatchObject({ name: "cached" });
      // Gone from the database: from now on only the cache can know it.
      await db.prisma.apiKey.delete({ where: { name: "cached" } });
      for (let i = 0; i < 120; i++) expect(await verify(`mm_${String(i).padStart(43, "x")}`)).toBeUndefined();
      expect(await verify(key, { cachedOnly: true })).toMatchObject({ name: "cached" });
    });

    it("asks the database once for a key that many requests in flight present together", async () => {
      let lookups = 0;
      const counted = db.prisma.$extends({
        query: {
          apiKey: {
            findUnique({ args, query }) {
              lookups += 1;
              return query(args);
            },
          },
        },
      });
      // The extended client serves the same model methods; the verifier only calls apiKey.findUnique/updateMany.
      const verify = createKeyVerifier(counted as unknown as typeof db.prisma, { cacheMs: 60_000 });
      const { key } = await admin.keys.create({ name: "crowded", space: "bob", scopes: ["read"] });
      const answers = await Promise.all(Array.from({ length: 20 }, () => verify(key)));
      expect(answers.map((a) => a?.name)).toEqual(Array(20).fill("crowded"));
      expect(lookups).toBe(1);
    });

    it("refuses expired keys, cached or not", async () => {
      const verify = createKeyVerifier(db.prisma, { cacheMs: 60_000 });
      const expiresAt = new Date(Date.now() + 60 * 60_000);
      const { key, info } = await keyService.create(
        { prisma: db.prisma },
        { name: "short-lived", space: "bob", scopes: ["read"], expiresAt },
      );
      expect(await verify(key)).toMatchObject({ keyId: info.id });
      // The clock moves past the expiry instead of the test waiting for it (a 300 ms expiry failed under load).
      vi.useFakeTimers({ toFake: ["Date"] });
      try {
        vi.setSystemTime(expiresAt.getTime() + 1);
        expect(await verify(key)).toBeUndefined();
        expect(await createKeyVerifier(db.prisma)(key)).toBeUndefined();
      } finally {
        vi.useRealTimers();
      }
    });
  });
