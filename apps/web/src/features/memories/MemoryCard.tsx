import { memo } from "react";
import { Link } from "wouter";
import { formatDate, memoryPath } from "../../lib/format.ts";
import type { Memory } from "../../lib/trpc.ts";

/** Memoised: scrolling re-renders the list on every frame, but a row only when its memory or mark changes. */
export const MemoryCard = memo(function MemoryCard({
  memory,
  fresh,
}: {
  memory: Memory;
  fresh?: "new" | "changed" | undefined;
}) {
  return (
    <article className={`card memory${fresh ? " fresh" : ""}`}>
      <h2 className="memory-title">
        <Link href={memoryPath(memory.videoId)}>{memory.videoId}</Link>
        {fresh && <span className="badge">{fresh === "new" ? "New" : "Changed"}</span>}
      </h2>
      <p className="description clamp">{memory.description}</p>
      <p className="meta">
        {memory.tags.length > 0 && (
          <span className="tags" aria-label="Tags">
            {memory.tags.map((tag) => (
              <span key={tag} className="tag">
                {tag}
              </span>
            ))}
          </span>
        )}
        <span>
          Updated <time dateTime={memory.updatedAt}>{formatDate(memory.updatedAt)}</time>
          {memory.version > 1 && ` · version ${memory.version}`}
        </span>
      </p>
    </article>
  );
});
