import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation } from "wouter";
import { describeError } from "../../lib/errors.ts";
import { ErrorState } from "../../lib/ErrorState.tsx";
import { formatDate } from "../../lib/format.ts";
import { ProblemMessage } from "../../lib/ProblemMessage.tsx";
import { useTRPC } from "../../lib/trpc.ts";
import { ConflictNotice } from "./ConflictNotice.tsx";
import { MemoryForm, type MemoryDraft } from "./MemoryForm.tsx";
import { useMemoryMutations } from "./use-memory-mutations.ts";
import { VersionHistory } from "./VersionHistory.tsx";

export default function MemoryPage({ videoId }: { videoId: string }) {
  const trpc = useTRPC();
  const [, navigate] = useLocation();
  const memory = useQuery(trpc.videoAnalysis.byVideoId.queryOptions({ videoId }));
  const { update, remove } = useMemoryMutations();
  // The version the edit started from: a change arriving live meanwhile must still be a conflict, not overwritten.
  const [editingFrom, setEditingFrom] = useState<number | null>(null);
  const editing = editingFrom !== null;
  const [draft, setDraft] = useState<MemoryDraft>();
  const [confirmDelete, setConfirmDelete] = useState(false);

  if (memory.isPending) return <p aria-busy="true">Loading…</p>;
  if (memory.isError) {
    return (
      <>
        <h1 className="break">{videoId}</h1>
        <ErrorState error={memory.error} retry={() => void memory.refetch()} />
        <Link href="/">Back to memories</Link>
      </>
    );
  }
  const current = memory.data;
  const conflict = update.isError && describeError(update.error).kind === "conflict";

  const save = (next: MemoryDraft, expectedVersion: number) => {
    setDraft(next);
    update.mutate(
      { videoId, description: next.description, tags: next.tags, expectedVersion },
      { onSuccess: () => setEditingFrom(null) },
    );
  };
  const reload = () => {
    update.reset();
    setEditingFrom(null);
    void memory.refetch();
  };
  // Overwrite exactly the version now stored, not any later one.
  const overwrite = async () => {
    const latest = await memory.refetch();
    if (draft && latest.data) save(draft, latest.data.version);
  };

  return (
    <article className="stack">
      <div className="page-head">
        <h1 className="break">{current.videoId}</h1>
        {!editing && (
          <div className="row">
            <button type="button" onClick={() => (update.reset(), setEditingFrom(current.version))}>
              Edit
            </button>
            <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
              Delete
            </button>
          </div>
        )}
      </div>
      {confirmDelete && (
        <div role="alertdialog" aria-labelledby="confirm-delete" className="card stack">
          <p id="confirm-delete">Delete this memory and all its versions? This cannot be undone.</p>
          <div className="row">
            <button
              type="button"
              className="danger"
              disabled={remove.isPending}
              autoFocus
              onClick={() =>
                remove.mutate({ videoId, expectedVersion: current.version }, { onSuccess: () => navigate("/") })
              }
            >
              Delete for good
            </button>
            <button type="button" onClick={() => setConfirmDelete(false)}>
              Keep it
            </button>
          </div>
          {remove.isError && <ProblemMessage problem={describeError(remove.error)} />}
        </div>
      )}
      {editing ? (
        <section className="card stack" aria-label="Edit memory">
          {conflict ? (
            <ConflictNotice busy={update.isPending} onReload={reload} onOverwrite={() => void overwrite()} />
          ) : (
            update.isError && <ProblemMessage problem={describeError(update.error)} />
          )}
          <MemoryForm
            initial={draft ?? current}
            editingId
            busy={update.isPending}
            submitLabel="Save"
            onSubmit={(next) => save(next, editingFrom)}
            onCancel={() => (update.reset(), setEditingFrom(null))}
          />
        </section>
      ) : (
        <section className="card stack" aria-label="Memory">
          {update.isPending && <p className="hint">Saving…</p>}
          <p className="description">{current.description}</p>
          {current.tags.length > 0 && (
            <ul className="tags" aria-label="Tags">
              {current.tags.map((tag) => (
                <li key={tag} className="tag">
                  {tag}
                </li>
              ))}
            </ul>
          )}
          <dl className="facts">
            <dt>Version</dt>
            <dd>{current.version}</dd>
            <dt>Created</dt>
            <dd>{formatDate(current.createdAt)}</dd>
            <dt>Updated</dt>
            <dd>{formatDate(current.updatedAt)}</dd>
            <dt>Embedding</dt>
            <dd>
              {current.embedding ? `${current.embedding.model} (${current.embedding.dimensions} dimensions)` : "none"}
            </dd>
          </dl>
        </section>
      )}
      <VersionHistory memory={current} />
    </article>
  );
}
