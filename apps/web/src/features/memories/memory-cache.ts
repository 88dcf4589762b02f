/**
 * Optimistic edits of the cached memory lists and pages, and their rollback: every list the page has loaded (any
 * tag filter) and the memory's own page show a change at once; a failed call puts back exactly what was there.
 */
import type { InfiniteData, QueryClient, QueryKey } from "@tanstack/react-query";
import type { RouterOutputs } from "@memory-mirror/api";
import type { Memory } from "../../lib/trpc.ts";

type ListPage = RouterOutputs["videoAnalysis"]["list"];
type Lists = InfiniteData<ListPage>;

export interface Snapshot {
  restore: () => void;
}

/**
 * Saves every query under these keys so that `restore` undoes whatever happens to them next; first stops their
 * fetches in flight, whose answers would overwrite what is shown next.
 */
export async function snapshot(queryClient: QueryClient, keys: QueryKey[]): Promise<Snapshot> {
  await Promise.all(keys.map((queryKey) => queryClient.cancelQueries({ queryKey })));
  const saved = keys.flatMap((queryKey) => queryClient.getQueriesData({ queryKey }));
  return {
    restore: () => {
      for (const [key, data] of saved) queryClient.setQueryData(key, data);
    },
  };
}

export function updateLists(queryClient: QueryClient, listKey: QueryKey, change: (items: Memory[]) => Memory[]) {
  queryClient.setQueriesData<Lists>({ queryKey: listKey }, (lists) =>
    lists?.pages ? { ...lists, pages: lists.pages.map((page) => ({ ...page, items: change(page.items) })) } : lists,
  );
}

export const replaceIn = (memory: Memory) => (items: Memory[]) =>
  items.map((item) => (item.videoId === memory.videoId ? memory : item));

export const removeFrom = (videoId: string) => (items: Memory[]) => items.filter((item) => item.videoId !== videoId);

/** Newest first: a new memory goes at the top of the first page of lists whose tag filter it passes. */
export function prependToLists(queryClient: QueryClient, listKey: QueryKey, memory: Memory) {
  for (const [key, lists] of queryClient.getQueriesData<Lists>({ queryKey: listKey })) {
    if (!lists?.pages?.[0]) continue;
    const filter = filterTagsOf(key);
    if (!filter.every((tag) => memory.tags.includes(tag))) continue;
    if (lists.pages.some((page) => page.items.some((item) => item.videoId === memory.videoId))) continue;
    const [first, ...rest] = lists.pages;
    queryClient.setQueryData<Lists>(key, { ...lists, pages: [{ ...first, items: [memory, ...first.items] }, ...rest] });
  }
}

/** tRPC's query keys are [path, { input, type }]. */
function filterTagsOf(key: QueryKey): string[] {
  const meta = key[1] as { input?: { tags?: string[] } } | undefined;
  return meta?.input?.tags ?? [];
}
