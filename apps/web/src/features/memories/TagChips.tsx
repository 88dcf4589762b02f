import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../lib/trpc.ts";

/** The most used tags as toggle buttons; the list shows memories carrying every pressed tag. */
export function TagChips({ selected, onChange }: { selected: string[]; onChange: (tags: string[]) => void }) {
  const trpc = useTRPC();
  const tags = useQuery(trpc.videoAnalysis.tags.queryOptions({ limit: 24 }));
  const shown = new Set([...selected, ...(tags.data?.items.map((item) => item.tag) ?? [])]);
  if (shown.size === 0) return null;
  const counts = new Map(tags.data?.items.map((item) => [item.tag, item.count]));
  const toggle = (tag: string) =>
    onChange(selected.includes(tag) ? selected.filter((t) => t !== tag) : [...selected, tag].sort());
  return (
    <div role="group" aria-label="Filter by tag" className="chips">
      {[...shown].map((tag) => (
        <button
          key={tag}
          type="button"
          className="chip"
          aria-pressed={selected.includes(tag)}
          onClick={() => toggle(tag)}
        >
          {tag}
          {counts.has(tag) && <span className="count"> {counts.get(tag)}</span>}
        </button>
      ))}
      {selected.length > 0 && (
        <button type="button" className="link" onClick={() => onChange([])}>
          Clear filter
        </button>
      )}
    </div>
  );
}
