import { useInfiniteQuery } from "@tanstack/react-query";
import { useWindowVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { Link, useSearchParams } from "wouter";
import { ErrorState } from "../../lib/ErrorState.tsx";
import { useTRPC } from "../../lib/trpc.ts";
import { useFreshMarks } from "../live/fresh-marks.ts";
import { MemoryCard } from "./MemoryCard.tsx";
import { TagChips } from "./TagChips.tsx";

export const PAGE_SIZE = 50;

/** The space's memories, newest first; only the rows on screen are in the page, so thousands scroll smoothly. */
export function MemoryList() {
  const trpc = useTRPC();
  const [params, setParams] = useSearchParams();
  const tags = params.get("tags")?.split(",").filter(Boolean) ?? [];
  const list = useInfiniteQuery(
    trpc.videoAnalysis.list.infiniteQueryOptions(
      { limit: PAGE_SIZE, ...(tags.length ? { tags } : {}) },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  const items = list.data?.pages.flatMap((page) => page.items) ?? [];
  const fresh = useFreshMarks();

  const listRef = useRef<HTMLOListElement>(null);
  const [offset, setOffset] = useState(0);
  useLayoutEffect(() => setOffset(listRef.current?.offsetTop ?? 0), [list.isSuccess]);
  const virtualizer = useWindowVirtualizer({
    count: items.length,
    estimateSize: () => 140,
    overscan: 6,
    scrollMargin: offset,
    getItemKey: (index) => items[index]?.id ?? index,
  });
  const rows = virtualizer.getVirtualItems();
  const last = rows.at(-1)?.index ?? -1;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && last >= items.length - 10) void fetchNextPage();
  }, [last, items.length, hasNextPage, isFetchingNextPage, fetchNextPage]);

  return (
    <>
      <div className="page-head">
        <h1>Memories</h1>
        <Link href="/new" className="button primary">
          New memory
        </Link>
      </div>
      <TagChips
        selected={tags}
        onChange={(next) => setParams(next.length ? { tags: next.join(",") } : {}, { replace: true })}
      />
      {list.isPending && <p aria-busy="true">Loading memories…</p>}
      {list.isError && <ErrorState error={list.error} retry={() => void list.refetch()} />}
      {list.isSuccess && items.length === 0 && (
        <p>{tags.length ? "No memory carries all these tags." : "No memories yet. Create the first one."}</p>
      )}
      <ol
        ref={listRef}
        className="memory-list"
        aria-label="Memories, newest first"
        style={{ height: virtualizer.getTotalSize() }}
      >
        {rows.map((row) => {
          const memory = items[row.index];
          if (!memory) return null;
          return (
            <li
              key={row.key}
              data-index={row.index}
              ref={virtualizer.measureElement}
              aria-setsize={hasNextPage ? -1 : items.length}
              aria-posinset={row.index + 1}
              style={{ transform: `translateY(${row.start - virtualizer.options.scrollMargin}px)` }}
            >
              <MemoryCard memory={memory} fresh={fresh.get(memory.videoId)} />
            </li>
          );
        })}
      </ol>
      {isFetchingNextPage && <p aria-busy="true">Loading more…</p>}
      {list.isSuccess && !hasNextPage && items.length > 0 && (
        <p className="hint">
          {items.length} {items.length === 1 ? "memory" : "memories"}, all shown.
        </p>
      )}
    </>
  );
}
