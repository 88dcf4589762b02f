import { ANONYMOUS, createCaller, createContext } from "@memory-mirror/api";
import { openTestDb, testTargets } from "@memory-mirror/db/testing";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMcpServer, INTERNAL_ERROR_MESSAGE, type MemoryApi } from "../src/index.ts";

const targets = await testTargets();
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** An MCP client connected to the tools over the tRPC caller of this database's "default" space. */
async function connectTools(
  prisma: Awaited<ReturnType<typeof openTestDb>>["prisma"],
  onInternalError: (error: unknown, tool: string) => void,
): Promise<Client> {
  // The tRPC caller is a MemoryApi as it stands: the tools call the real procedures.
  const api: MemoryApi = createCaller(() => createContext({ prisma, principal: ANONYMOUS, space: "default" }));
  const server = createMcpServer(api, { onInternalError });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "tools-test", version: "1.0.0" });
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  return client;
}

interface Called {
  isError: boolean;
  text: string;
}

for (const target of targets)
  describe.skipIf(!!target.skip)(`MCP tools in process on the ${target.name} database`, () => {
    let db: Awaited<ReturnType<typeof openTestDb>>;
    let client: Client;
    const internalErrors: { error: unknown; tool: string }[] = [];

    beforeAll(async () => {
      db = await openTestDb(target.name);
      client = await connectTools(db.prisma, (error, tool) => internalErrors.push({ error, tool }));
    });
    afterAll(async () => {
      await client?.close();
      await db?.dispose();
    });

    async function call(name: string, args?: Record<string, unknown>, through = client): Promise<Called> {
      const result = await through.callTool({ name, arguments: args });
      const content = result.content as { type: string; text: string }[];
      expect(content).toHaveLength(1);
      expect(content[0]?.type).toBe("text");
      return { isError: result.isError === true, text: content[0]?.text ?? "" };
    }
    async function ok(name: string, args?: Record<string, unknown>): Promise<unknown> {
      const result = await call(name, args);
      expect(result.isError, result.text).toBe(false);
      return JSON.parse(result.text);
    }

    it("introduces the server to the model", () => {
      expect(client.getServerVersion()?.name).toBe("memory-mirror");
      expect(client.getInstructions()).toContain("get_video_analysis");
    });

    describe("advertised input schemas (the api's zod schemas, input side)", () => {
      async function schemaOf(name: string) {
        const { tools } = await client.listTools();
        const tool = tools.find((t) => t.name === name);
        expect(tool, name).toBeDefined();
        type Schema = {
          properties: Record<string, Record<string, unknown>>;
          required?: string[];
          additionalProperties?: unknown;
        };
        return tool?.inputSchema as Schema;
      }

      it("create_video_analysis: both fields required, with the service's limits, nothing else accepted", async () => {
        const schema = await schemaOf("create_video_analysis");
        expect(schema.required).toEqual(["videoId", "description"]);
        expect(schema.additionalProperties).toBe(false);
        expect(schema.properties.videoId).toMatchObject({
          type: "string",
          minLength: 1,
          maxLength: 256,
          description: expect.any(String) as string,
        });
        expect(schema.properties.description).toMatchObject({ type: "string", maxLength: 50_000 });
      });

      it("list_video_analyses: limit optional with its default, cursor a string (not the decoded cursor)", async () => {
        const schema = await schemaOf("list_video_analyses");
        expect(schema.required ?? []).toEqual([]);
        expect(schema.properties.limit).toMatchObject({ type: "integer", minimum: 1, maximum: 1000, default: 100 });
        expect(schema.properties.limit?.description).toContain("default 100");
        expect(schema.properties.cursor?.description).toContain("nextCursor");
        expect(schema.properties.cursor?.anyOf).toEqual([
          expect.objectContaining({ type: "string" }),
          { type: "null" },
        ]);
      });

      it("marks the read-only and the destructive tools", async () => {
        const { tools } = await client.listTools();
        const hints = Object.fromEntries(
          tools.map((t) => [t.name, [t.annotations?.readOnlyHint, t.annotations?.destructiveHint]]),
        );
        expect(hints).toEqual({
          get_video_analysis: [true, undefined],
          list_video_analyses: [true, undefined],
          create_video_analysis: [false, false],
          update_video_analysis: [false, true],
          delete_video_analysis: [false, true],
          upsert_video_analysis: [false, true],
          get_video_analyses: [true, undefined],
          get_video_analysis_history: [true, undefined],
          build_context: [true, undefined],
          search_memories: [true, undefined],
          list_memory_tags: [true, undefined],
          recent_changes: [true, undefined],
        });
      });
    });

    describe("calls", () => {
      it("create, get, update, delete: each returns the analysis as JSON", async () => {
        const created = await ok("create_video_analysis", { videoId: "mcp-crud", description: "A cat on a table." });
        expect(created).toEqual({
          id: expect.any(String) as string,
          videoId: "mcp-crud",
          description: "A cat on a table.",
          tags: [],
          embedding: null,
          recordedAt: null,
          metadata: null,
          version: 1,
          createdAt: expect.stringMatching(ISO) as string,
          updatedAt: expect.stringMatching(ISO) as string,
        });
        expect(await ok("get_video_analysis", { videoId: "mcp-crud" })).toEqual(created);
        const updated = await ok("update_video_analysis", { videoId: "mcp-crud", description: "It jumps off." });
        expect(updated).toMatchObject({ id: (created as { id: string }).id, description: "It jumps off." });
        expect(await ok("delete_video_analysis", { videoId: "mcp-crud" })).toEqual(updated);
        expect((await call("get_video_analysis", { videoId: "mcp-crud" })).isError).toBe(true);
      });

      it("recent_changes: what changed after an event id, oldest first, and where to continue", async () => {
        const before = (await ok("recent_changes", { since: new Date().toISOString() })) as { nextAfterId: string };
        await ok("create_video_analysis", { videoId: "mcp-news", description: "New." });
        await ok("update_video_analysis", { videoId: "mcp-news", description: "Newer." });
        const page = (await ok("recent_changes", { afterId: before.nextAfterId, limit: 2 })) as {
          items: { id: string; event: { type: string; videoId: string; analysis?: { description: string } } }[];
          nextAfterId: string;
          more: boolean;
        };
        expect(page.items.map((i) => `${i.event.type} ${i.event.videoId}`)).toEqual([
          "created mcp-news",
          "updated mcp-news",
        ]);
        // The created event's analysis was replaced since: only the latest version's event carries one.
        expect(page.items.map((i) => i.event.analysis?.description)).toEqual([undefined, "Newer."]);
        expect(page).toMatchObject({ nextAfterId: page.items[1]!.id, more: true });
        await ok("delete_video_analysis", { videoId: "mcp-news" });
        const rest = (await ok("recent_changes", { afterId: page.nextAfterId })) as typeof page;
        expect(rest.items.map((i) => i.event.type)).toEqual(["deleted"]);
        expect(rest.more).toBe(false);
        expect((await call("recent_changes", { afterId: "yesterday" })).text).toContain("afterId must be the id");
      });

      it("list pages newest first through nextCursor, with no arguments at all for the first page", async () => {
        for (const n of [1, 2, 3])
          await ok("create_video_analysis", { videoId: `mcp-page-${n}`, description: `page ${n}` });
        type Page = { items: { videoId: string }[]; nextCursor: string | null };
        const all = (await ok("list_video_analyses")) as Page;
        expect(all.items.map((i) => i.videoId).slice(0, 3)).toEqual(["mcp-page-3", "mcp-page-2", "mcp-page-1"]);
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const page = (await ok("list_video_analyses", { limit: 1, cursor })) as Page;
          expect(page.items.length).toBeLessThanOrEqual(1);
          seen.push(...page.items.map((i) => i.videoId));
          cursor = page.nextCursor;
        } while (cursor);
        expect(seen).toEqual(all.items.map((i) => i.videoId));
      });
    });

    describe("bulk tools", () => {
      it("upsert is safe to retry: created, then unchanged, then a new version when the content changes", async () => {
        expect(await ok("upsert_video_analysis", { videoId: "mcp-up", description: "one", tags: ["a"] })).toMatchObject(
          { status: "created" },
        );
        expect(await ok("upsert_video_analysis", { videoId: "mcp-up", description: "one" })).toMatchObject({
          status: "unchanged",
          analysis: { version: 1, tags: ["a"] },
        });
        expect(await ok("upsert_video_analysis", { videoId: "mcp-up", description: "two" })).toMatchObject({
          status: "updated",
          analysis: { version: 2 },
        });
        expect(
          await call("upsert_video_analysis", { videoId: "mcp-up", description: "three", expectedVersion: 1 }),
        ).toEqual({
          isError: true,
          text: 'Version conflict: videoId "mcp-up" is at version 2, not version 1 (expectedVersion); read it again',
        });
      });

      // Each test stores what it reads (its own videoIds): it passes alone and in any order.
      it("get_video_analyses answers in the order asked, null where none", async () => {
        await ok("upsert_video_analysis", { videoId: "mcp-many", description: "one of many" });
        const { items } = (await ok("get_video_analyses", { videoIds: ["mcp-none", "mcp-many"] })) as {
          items: ({ videoId: string } | null)[];
        };
        expect(items.map((i) => i?.videoId ?? null)).toEqual([null, "mcp-many"]);
      });

      it("get_video_analysis_history pages the earlier versions through nextCursor", async () => {
        for (const description of ["one", "two", "three"])
          await ok("upsert_video_analysis", { videoId: "mcp-history", description });
        type Page = { items: { version: number }[]; nextCursor: string | null };
        const first = (await ok("get_video_analysis_history", { videoId: "mcp-history", limit: 1 })) as Page;
        expect(first.items.map((i) => i.version)).toEqual([2]);
        const second = (await ok("get_video_analysis_history", {
          videoId: "mcp-history",
          limit: 1,
          cursor: first.nextCursor,
        })) as Page;
        expect(second).toEqual({ items: [expect.objectContaining({ version: 1 })], nextCursor: null });
        expect((await call("get_video_analysis_history", { videoId: "mcp-none" })).isError).toBe(true);
      });
    });

    describe("failures are tool errors with the service's words", () => {
      it("NOT_FOUND", async () => {
        expect(await call("get_video_analysis", { videoId: "mcp-none" })).toEqual({
          isError: true,
          text: 'No video analysis for videoId "mcp-none"',
        });
        expect(await call("update_video_analysis", { videoId: "mcp-none", description: "x" })).toEqual({
          isError: true,
          text: 'No video analysis for videoId "mcp-none"',
        });
        expect(await call("delete_video_analysis", { videoId: "mcp-none" })).toEqual({
          isError: true,
          text: 'No video analysis for videoId "mcp-none"',
        });
      });

      it("CONFLICT", async () => {
        await ok("create_video_analysis", { videoId: "mcp-twice", description: "first" });
        expect(await call("create_video_analysis", { videoId: "mcp-twice", description: "second" })).toEqual({
          isError: true,
          text: 'A video analysis for videoId "mcp-twice" already exists',
        });
      });

      it.each([
        ["a blank videoId", "get_video_analysis", { videoId: "  " }, "videoId must not be blank"],
        ["a missing description", "create_video_analysis", { videoId: "mcp-x" }, "description is required"],
        [
          "a description over the limit",
          "update_video_analysis",
          { videoId: "mcp-x", description: "x".repeat(50_001) },
          "description must be at most 50000 characters",
        ],
        ["a key the tool does not take", "delete_video_analysis", { videoId: "mcp-x", force: true }, '"force"'],
        ["limit 0", "list_video_analyses", { limit: 0 }, "limit must be at least 1"],
        [
          "a cursor list never returned",
          "list_video_analyses",
          { cursor: "bm90IGEgY3Vyc29y" },
          "cursor is not a cursor returned by list",
        ],
      ])("invalid input (%s)", async (_, tool, args, message) => {
        const result = await call(tool, args);
        expect(result.isError).toBe(true);
        expect(result.text).toContain(message);
        expect(internalErrors).toEqual([]);
      });
    });

    it("an internal failure is a generic tool error for the model and the real error for the host", async () => {
      // A database of its own: the failure is a table dropped for good, which no other test must meet.
      const broken = await openTestDb(target.name);
      const failures: { error: unknown; tool: string }[] = [];
      const brokenClient = await connectTools(broken.prisma, (error, tool) => failures.push({ error, tool }));
      try {
        await broken.prisma.$executeRawUnsafe(`DROP TABLE "VideoAnalysis" CASCADE`);
        const result = await call("get_video_analysis", { videoId: "mcp-crud" }, brokenClient);
        expect(result).toEqual({ isError: true, text: INTERNAL_ERROR_MESSAGE });
        expect(failures).toHaveLength(1);
        expect(failures[0]?.tool).toBe("get_video_analysis");
        expect(String(failures[0]?.error)).toMatch(/VideoAnalysis/);
      } finally {
        await brokenClient.close();
        await broken.dispose();
      }
    });
  });
