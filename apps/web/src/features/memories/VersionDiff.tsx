import { diffWords } from "diff";

interface Side {
  version: number;
  description: string;
  tags: string[];
}

/** What changed between two versions: the description word by word, tags added and removed. */
export function VersionDiff({ before, after }: { before: Side; after: Side }) {
  const parts = diffWords(before.description, after.description);
  const added = after.tags.filter((tag) => !before.tags.includes(tag));
  const removed = before.tags.filter((tag) => !after.tags.includes(tag));
  const unchanged = parts.every((part) => !part.added && !part.removed);
  return (
    <div className="diff stack">
      <p className="hint">
        Changes from version {before.version} to {after.version}
        {unchanged ? ": the description is the same." : " (removed words struck through, added ones underlined):"}
      </p>
      <p className="description">
        {parts.map((part, index) =>
          part.added ? (
            <ins key={index}>{part.value}</ins>
          ) : part.removed ? (
            <del key={index}>{part.value}</del>
          ) : (
            <span key={index}>{part.value}</span>
          ),
        )}
      </p>
      {(added.length > 0 || removed.length > 0) && (
        <p>
          {added.length > 0 && <>Tags added: {added.join(", ")}. </>}
          {removed.length > 0 && <>Tags removed: {removed.join(", ")}.</>}
        </p>
      )}
    </div>
  );
}
