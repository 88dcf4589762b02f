import { type FormEvent, useState } from "react";
import { parseTags } from "./tags.ts";

export interface MemoryDraft {
  videoId: string;
  description: string;
  tags: string[];
}

interface MemoryFormProps {
  initial: MemoryDraft;
  /** Editing keeps the video id; creating asks for it. */
  editingId?: boolean;
  busy: boolean;
  submitLabel: string;
  onSubmit: (draft: MemoryDraft) => void;
  onCancel?: () => void;
}

export function MemoryForm({ initial, editingId = false, busy, submitLabel, onSubmit, onCancel }: MemoryFormProps) {
  const [videoId, setVideoId] = useState(initial.videoId);
  const [description, setDescription] = useState(initial.description);
  const [tags, setTags] = useState(initial.tags.join(", "));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit({ videoId: videoId.trim(), description, tags: parseTags(tags) });
  };
  return (
    <form className="stack" onSubmit={submit} aria-busy={busy}>
      {!editingId && (
        <label>
          Video id
          <input required value={videoId} onChange={(event) => setVideoId(event.target.value)} autoComplete="off" />
        </label>
      )}
      <label>
        Description
        <textarea required rows={6} value={description} onChange={(event) => setDescription(event.target.value)} />
      </label>
      <label>
        Tags (separated by commas)
        <input value={tags} onChange={(event) => setTags(event.target.value)} autoComplete="off" />
      </label>
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>
          {submitLabel}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
