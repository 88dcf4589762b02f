/**
 * videoAnalysis.onChange through the real client (splitLink + httpSubscriptionLink over SSE) on a real server:
 * every kind of write appears once, in order, with its version; an unchanged upsert appears not at all; a
 * subscriber resuming with lastEventId gets exactly the events it missed; filters; another space sees nothing.
 */
import { type ChangeEvent, createMemoryMirrorClient, errorCode, type MemoryMirrorClient } from "@memory-mirror/client";
import { testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { collectChanges } from "./support/changes.ts";

const targets = await testTargets();

const summary = (events: { data: ChangeEvent }[]) =>
  events.map(({ data }) => ("videoId" in data ? `${data.type} ${data.videoId} v${data.version}` : data.type));

for (const target of targets) {
  describe.skipIf(!!target.skip)(`videoAnalysis.onChange on the ${target.name} database`, () => {
    let server: TestServer;
    let client: MemoryMirrorClient;
    const inSpace = (space: string) => createMemoryMirrorClient({ url: server.url, space });
    beforeAll(async () => {
      server = await startTestServer(target.name);
      client = inSpace("live");
    });
    afterAll(() => server?.close());

    it("delivers every write that changes a memory once, in order, and nothing for an unchanged upsert", async () => {
      const watch = await collectChanges(client, {});
      const va = client.videoAnalysis;
      await va.create.mutate({ videoId: "a", description: "first", tags: ["pets"] });
      // Read before the next write: an event read after a later change replaced its analysis carries none (by design).
      await watch.until(1);
      await va.update.mutate({ videoId: "a", description: "second" });
      await va.upsert.mutate({ videoId: "a", description: "second" }); // unchanged
      await va.upsert.mutate({ videoId: "b", description: "bee" });
      await va.upsertMany.mutate({
        items: [
          { videoId: "c", description: "sea" },
          { videoId: "b", description: "bee" },
        ],
      });
      await va.deleteMany.mutate({ videoIds: ["b", "c"] });
      await va.delete.mutate({ videoId: "a" });
      const events = await watch.until(7);
      expect(summary(events)).toEqual([
        "created a v1",
        "updated a v2",
        "created b v1",
        "created c v1",
        "deleted b v1",
        "deleted c v1",
        "deleted a v2",
      ]);
      const first = events[0]!.data;
      expect(first.type === "created" && first.analysis).toMatchObject({
        videoId: "a",
        description: "first",
        tags: ["pets"],
        version: 1,
      });
      // Ids are increasing decimal strings.
      const ids = events.map((e) => BigInt(e.id));
      expect([...ids].sort((x, y) => (x < y ? -1 : 1))).toEqual(ids);
      watch.stop();
    });

    it("resumes after lastEventId with exactly the events missed meanwhile", async () => {
      const va = client.videoAnalysis;
      const watch = await collectChanges(client, {});
      await va.create.mutate({ videoId: "r1", description: "one" });
      const [seen] = await watch.until(1);
      watch.stop();
      await va.create.mutate({ videoId: "r2", description: "two" });
      await va.update.mutate({ videoId: "r1", description: "one again" });
      const resumed = await collectChanges(client, { lastEventId: seen!.id });
      await va.create.mutate({ videoId: "r3", description: "three" });
      expect(summary(await resumed.until(3))).toEqual(["created r2 v1", "updated r1 v2", "created r3 v1"]);
      // Nothing else arrives (no duplicate of the first event, of the missed ones or of the live one).
      await va.create.mutate({ videoId: "r4", description: "four" });
      expect(summary(await resumed.until(4)).at(-1)).toBe("created r4 v1");
      resumed.stop();
    });

    it("filters by tags (all of them) and by videoIds", async () => {
      const va = client.videoAnalysis;
      const byTag = await collectChanges(client, { tags: ["Cats", "home"] });
      const byVideo = await collectChanges(client, { videoIds: ["f2"] });
      await va.create.mutate({ videoId: "f1", description: "cat", tags: ["cats"] });
      await va.create.mutate({ videoId: "f2", description: "cat at home", tags: ["cats", "home"] });
      await va.delete.mutate({ videoId: "f2" });
      expect(summary(await byTag.until(2))).toEqual(["created f2 v1", "deleted f2 v1"]);
      expect(summary(await byVideo.until(2))).toEqual(["created f2 v1", "deleted f2 v1"]);
      byTag.stop();
      byVideo.stop();
    });

    it("a subscriber of another space sees nothing, also when it resumes from this space's ids", async () => {
      const other = inSpace("elsewhere");
      const mine = await collectChanges(client, {});
      await client.videoAnalysis.create.mutate({ videoId: "secret", description: "not yours" });
      const [event] = await mine.until(1);
      mine.stop();
      const foreign = await collectChanges(other, { lastEventId: "0" });
      const live = await collectChanges(other, {});
      await client.videoAnalysis.update.mutate({ videoId: "secret", description: "still not yours" });
      await other.videoAnalysis.create.mutate({ videoId: "own", description: "mine" });
      // The other space's first event is its own write: none of "live"'s before it, nor after.
      expect(summary(await foreign.until(1))).toEqual(["created own v1"]);
      expect(summary(await live.until(1))).toEqual(["created own v1"]);
      const resumedFromForeignId = await collectChanges(other, { lastEventId: event!.id });
      await other.videoAnalysis.update.mutate({ videoId: "own", description: "mine again" });
      expect(summary(await resumedFromForeignId.until(1))).toEqual(["created own v1"]);
      expect(summary(await resumedFromForeignId.until(2))).toEqual(["created own v1", "updated own v2"]);
      for (const w of [foreign, live, resumedFromForeignId]) w.stop();
    });

    it("refuses a lastEventId that is not an event id with a message", async () => {
      const error = await new Promise<unknown>((resolve) => {
        const sub = client.videoAnalysis.onChange.subscribe(
          { lastEventId: "yesterday" },
          { onError: (e) => (sub.unsubscribe(), resolve(e)) },
        );
      });
      expect(String((error as Error).message)).toMatch(/lastEventId must be the id of an earlier event/);
      expect(errorCode(error)).toBe("BAD_REQUEST");
    });
  });
}
