/** The retrieval tools in process, over the real procedures: what the model reads back, and what it is told. */
import { ANONYMOUS, createCaller, createContext } from "@memory-mirror/api";
import { openTestDb, testTargets } from "@memory-mirror/db/testing";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMcpServer, type MemoryApi } from "../src/index.ts";

const targets = await testTargets();

for (const target of targets)
  describe.skipIf(!!target.skip)(`MCP retrieval tools on the ${target.name} database`, () => {
    let db: Awaited<ReturnType<typeof openTestDb>>;
    let client: Client;

    beforeAll(async () => {
      db = await openTestDb(target.name);
      const api: MemoryApi = createCaller(() =>
        createContext({ prisma: db.prisma, principal: ANONYMOUS, space: "default" }),
      );
      await api.videoAnalysis.create({
        videoId: "cake",
        description: "Mia's birthday: we baked a chocolate cake together.",
        tags: ["family", "mia"],
      });
      await api.videoAnalysis.create({
        videoId: "paella",
        description: "Cooking paella with Jonas on the balcony.",
        tags: ["cooking"],
      });
      const server = createMcpServer(api);
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      client = new Client({ name: "search-tools-test", version: "1.0.0" });
      await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
    });
    afterAll(async () => {
      await client?.close();
      await db?.dispose();
    });

    async function call(name: string, args: Record<string, unknown>) {
      const result = await client.callTool({ name, arguments: args });
      const [content] = result.content as { type: string; text: string }[];
      return { isError: result.isError === true, text: content?.text ?? "" };
    }

    it("tells the model when to use which", async () => {
      const { tools } = await client.listTools();
      const description = (name: string) => tools.find((t) => t.name === name)?.description ?? "";
      expect(description("build_context")).toMatch(/^Use this before answering anything about the user's own life/);
      expect(description("search_memories")).toContain("build_context is cheaper");
      expect(description("list_memory_tags")).toContain("before filtering");
      expect(client.getInstructions()).toContain("build_context");
      const schema = tools.find((t) => t.name === "build_context")?.inputSchema as {
        required?: string[];
        properties: Record<string, unknown>;
      };
      expect(schema.required).toEqual(["maxChars"]);
      expect(Object.keys(schema.properties).sort()).toEqual(["embedding", "maxChars", "query", "tags", "videoIds"]);
    });

    it("build_context answers a question with the memories as text", async () => {
      const result = await call("build_context", { query: "what did I bake for Mia's birthday?", maxChars: 500 });
      expect(result.isError, result.text).toBe(false);
      const context = JSON.parse(result.text) as { text: string; sources: { videoId: string }[]; truncated: boolean };
      expect(context.sources[0]?.videoId).toBe("cake");
      expect(context.text).toMatch(
        /^## cake \(\d{4}-\d{2}-\d{2}\)\nMia's birthday: we baked a chocolate cake together\./,
      );
      expect(context.truncated).toBe(false);
    });

    it("search_memories ranks, explains and marks; list_memory_tags counts", async () => {
      const found = JSON.parse((await call("search_memories", { query: "paela", limit: 5 })).text) as {
        items: { analysis: { videoId: string }; highlight: string | null; scores: { trigram: number | null } }[];
      };
      expect(found.items[0]).toMatchObject({
        analysis: { videoId: "paella" },
        highlight: "Cooking **paella** with Jonas on the balcony",
      });
      expect(JSON.parse((await call("list_memory_tags", {})).text)).toEqual({
        items: [
          { tag: "cooking", count: 1 },
          { tag: "family", count: 1 },
          { tag: "mia", count: 1 },
        ],
      });
    });

    it("explains invalid input in the service's words", async () => {
      const none = await call("search_memories", { limit: 3 });
      expect(none).toMatchObject({
        isError: true,
        text: expect.stringContaining("search needs a query, an embedding, or both") as string,
      });
      const small = await call("build_context", { query: "cake", maxChars: 10 });
      expect(small).toMatchObject({ isError: true, text: expect.stringContaining("maxChars") as string });
    });
  });
