/**
 * Forgetting a memory forgets its words: the typo vocabulary (SearchTerm) keeps a word only while a stored
 * description holds it. Observed through the wire: a query word stands in for at most a few vocabulary words, so
 * stale words of deleted or rewritten memories would take those places and hide the living memory that still matches.
 */
import { createMemoryMirrorClient } from "@memory-mirror/client";
import { testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";

const targets = await testTargets();

/** Words closer to the typo "zanzibarr" than the keeper's "zanzibar" is (trigram similarity 0.75 against 0.73). */
const CLOSER = ["zanzibarra", "zanzibarri", "zanzibarre", "zanzibarro"];

for (const target of targets)
  describe.skipIf(!!target.skip)(`forgotten memories leave the vocabulary (${target.name} database)`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(target.name);
    });
    afterAll(() => server?.close());

    /** A space holding the keeper and four memories with closer words; answers its client. */
    async function spaceWithCloserWords(space: string) {
      const client = createMemoryMirrorClient({ url: server.url, space });
      await client.videoAnalysis.upsertMany.mutate({
        items: [
          { videoId: "keeper", description: "Sunset over Zanzibar harbour." },
          ...CLOSER.map((word, i) => ({ videoId: `gone-${i}`, description: `A dhow named ${word}.` })),
        ],
      });
      return client;
    }
    const found = async (client: ReturnType<typeof createMemoryMirrorClient>) =>
      (await client.videoAnalysis.search.query({ query: "zanzibarr", minScore: 0 })).items.map(
        (hit) => hit.analysis.videoId,
      );

    it("deleted memories (delete and deleteMany) no longer stand in for a typo", async () => {
      const client = await spaceWithCloserWords("deleted");
      // While they are stored, their closer words are what the typo finds.
      expect(await found(client)).not.toContain("keeper");
      await client.videoAnalysis.delete.mutate({ videoId: "gone-0" });
      await client.videoAnalysis.delete.mutate({ videoId: "gone-1" });
      await client.videoAnalysis.deleteMany.mutate({ videoIds: ["gone-2", "gone-3"] });
      expect(await found(client)).toEqual(["keeper"]);
    });

    it("a rewritten description's old words go (update, and an import of new content)", async () => {
      const client = await spaceWithCloserWords("rewritten");
      await client.videoAnalysis.update.mutate({ videoId: "gone-0", description: "A quiet evening." });
      await client.videoAnalysis.update.mutate({ videoId: "gone-1", description: "A quiet morning." });
      await client.videoAnalysis.upsertMany.mutate({
        items: [
          { videoId: "gone-2", description: "A quiet noon." },
          { videoId: "gone-3", description: "A quiet night." },
        ],
      });
      expect(await found(client)).toEqual(["keeper"]);
    });

    it("a restore that replaces content forgets the replaced words; a word another memory holds stays", async () => {
      const client = await spaceWithCloserWords("restored");
      const { items } = await client.videoAnalysis.export.query({});
      const restored = items
        .filter((item) => item.videoId.startsWith("gone-"))
        .map((item) => ({ ...item, description: "Restored without that word.", version: item.version + 1 }));
      // One more memory shares the first closer word: deleting the other holder keeps it in the vocabulary.
      await client.videoAnalysis.create.mutate({ videoId: "twin", description: `Another dhow named ${CLOSER[0]}.` });
      await client.videoAnalysis.upsertMany.mutate({ items: restored });
      expect(await found(client)).toEqual(expect.arrayContaining(["keeper", "twin"]));
      await client.videoAnalysis.delete.mutate({ videoId: "twin" });
      expect(await found(client)).toEqual(["keeper"]);
    });
  });
