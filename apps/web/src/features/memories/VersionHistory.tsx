import { useQuery } from "@tanstack/react-query";
import { ErrorState } from "../../lib/ErrorState.tsx";
import { formatDate } from "../../lib/format.ts";
import { type Memory, useTRPC } from "../../lib/trpc.ts";
import { VersionDiff } from "./VersionDiff.tsx";

interface Version {
  version: number;
  description: string;
  tags: string[];
  changedAt: string;
}

const asVersion = (memory: Memory): Version => ({
  version: memory.version,
  description: memory.description,
  tags: memory.tags,
  changedAt: memory.updatedAt,
});

/** Every kept version, newest first, each opening onto what changed from the one before it. */
export function VersionHistory({ memory }: { memory: Memory }) {
  const trpc = useTRPC();
  const history = useQuery(trpc.videoAnalysis.history.queryOptions({ videoId: memory.videoId, limit: 50 }));
  const versions: Version[] = [asVersion(memory), ...(history.data?.items ?? [])];
  return (
    <section className="stack" aria-labelledby="history">
      <h2 id="history">Version history</h2>
      {history.isError && <ErrorState error={history.error} retry={() => void history.refetch()} />}
      {history.isSuccess && versions.length === 1 && <p className="hint">Only this version so far.</p>}
      <ol className="versions">
        {versions.map((version, index) => {
          const previous = versions[index + 1];
          return (
            <li key={version.version}>
              <details>
                <summary>
                  Version {version.version}
                  {index === 0 && " (current)"} ·{" "}
                  <time dateTime={version.changedAt}>{formatDate(version.changedAt)}</time>
                </summary>
                {previous ? (
                  <VersionDiff before={previous} after={version} />
                ) : (
                  <p className="description">{version.description}</p>
                )}
              </details>
            </li>
          );
        })}
      </ol>
      {history.data?.nextCursor && <p className="hint">Older versions are not shown.</p>}
    </section>
  );
}
