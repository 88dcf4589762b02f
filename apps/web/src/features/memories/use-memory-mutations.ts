import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { RouterInputs } from "@memory-mirror/api";
import { useTRPC } from "../../lib/trpc.ts";
import { ownWriteHandlers } from "../live/own-writes.ts";
import { prependToLists, removeFrom, replaceIn, snapshot, updateLists } from "./memory-cache.ts";

type Inputs = RouterInputs["videoAnalysis"];

/** Create, update and delete, each shown at once in every cached list and page, and undone if the server says no. */
export function useMemoryMutations() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const listKey = trpc.videoAnalysis.list.pathKey();
  const pageKey = (videoId: string) => trpc.videoAnalysis.byVideoId.queryKey({ videoId });
  const settle = (videoId: string) =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: listKey }),
      queryClient.invalidateQueries({ queryKey: pageKey(videoId) }),
      queryClient.invalidateQueries({ queryKey: trpc.videoAnalysis.history.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.videoAnalysis.tags.pathKey() }),
    ]);

  const create = useMutation(
    trpc.videoAnalysis.create.mutationOptions({
      ...ownWriteHandlers(async (input: Inputs["create"]) => {
        const saved = await snapshot(queryClient, [listKey]);
        const now = new Date().toISOString();
        prependToLists(queryClient, listKey, {
          id: `pending:${input.videoId}`,
          videoId: input.videoId,
          description: input.description,
          tags: input.tags ?? [],
          embedding: null,
          recordedAt: input.recordedAt ?? null,
          metadata: input.metadata ?? null,
          version: 1,
          createdAt: now,
          updatedAt: now,
        });
        return saved;
      }),
      onSettled: (_data, _error, input) => settle(input.videoId),
    }),
  );

  const update = useMutation(
    trpc.videoAnalysis.update.mutationOptions({
      ...ownWriteHandlers(async (input: Inputs["update"]) => {
        const key = pageKey(input.videoId);
        const saved = await snapshot(queryClient, [listKey, key]);
        const current = queryClient.getQueryData(key);
        if (current) {
          const next = {
            ...current,
            ...(input.description !== undefined ? { description: input.description } : {}),
            ...(input.tags !== undefined ? { tags: input.tags } : {}),
            version: current.version + 1,
            updatedAt: new Date().toISOString(),
          };
          queryClient.setQueryData(key, next);
          updateLists(queryClient, listKey, replaceIn(next));
        }
        return saved;
      }),
      onSettled: (_data, _error, input) => settle(input.videoId),
    }),
  );

  const remove = useMutation(
    trpc.videoAnalysis.delete.mutationOptions({
      onMutate: async (input) => {
        const saved = await snapshot(queryClient, [listKey]);
        updateLists(queryClient, listKey, removeFrom(input.videoId));
        return saved;
      },
      onError: (_error, _input, saved) => saved?.restore(),
      onSuccess: (_data, input) => queryClient.removeQueries({ queryKey: pageKey(input.videoId) }),
      onSettled: () =>
        Promise.all([
          queryClient.invalidateQueries({ queryKey: listKey }),
          queryClient.invalidateQueries({ queryKey: trpc.videoAnalysis.tags.pathKey() }),
        ]),
    }),
  );

  return { create, update, remove };
}
