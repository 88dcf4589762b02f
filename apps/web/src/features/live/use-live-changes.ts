import { useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import type { RouterOutputs } from "@memory-mirror/api";
import { useTRPC } from "../../lib/trpc.ts";
import { prependToLists, removeFrom, replaceIn, updateLists } from "../memories/memory-cache.ts";
import { markFresh } from "./fresh-marks.ts";
import { isOwnWrite } from "./own-writes.ts";

type Streamed<T> = T extends AsyncIterable<infer Item> ? Item : never;
/** Each event comes tracked with its id ({ id, data }), which the link resends to resume after a drop. */
type ChangeEvent = Streamed<RouterOutputs["videoAnalysis"]["onChange"]>["data"];

/**
 * Keeps every cached list and page in step with the space's changes as they happen (videoAnalysis.onChange), and
 * marks memories changed elsewhere for a moment. Returns the stream's state for the header.
 */
export function useLiveChanges() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const listKey = trpc.videoAnalysis.list.pathKey();

  const apply = (event: ChangeEvent) => {
    if (event.type === "ready") return;
    if (event.type === "resync") {
      void queryClient.invalidateQueries();
      return;
    }
    const { videoId } = event;
    const pageKey = trpc.videoAnalysis.byVideoId.queryKey({ videoId });
    void queryClient.invalidateQueries({ queryKey: trpc.videoAnalysis.tags.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.videoAnalysis.history.queryKey({ videoId }) });
    if (event.type === "deleted") {
      updateLists(queryClient, listKey, removeFrom(videoId));
      void queryClient.invalidateQueries({ queryKey: pageKey });
      return;
    }
    const { analysis } = event;
    if (!analysis) {
      // A later change already replaced this one: its own event brings the newer analysis.
      return;
    }
    const shown = queryClient.getQueryData(pageKey);
    if (!shown || shown.version <= analysis.version) queryClient.setQueryData(pageKey, analysis);
    if (event.type === "created") prependToLists(queryClient, listKey, analysis);
    updateLists(queryClient, listKey, replaceIn(analysis));
    if (!isOwnWrite(videoId, analysis.version)) markFresh(videoId, event.type === "created" ? "new" : "changed");
  };

  return useSubscription(
    trpc.videoAnalysis.onChange.subscriptionOptions(undefined, {
      onData: (message) => apply(message.data),
    }),
  );
}
