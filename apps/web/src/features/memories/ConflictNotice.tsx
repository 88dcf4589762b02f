/** An edit refused because someone else changed the memory first (409 on expectedVersion): reload or overwrite. */
export function ConflictNotice({
  onReload,
  onOverwrite,
  busy,
}: {
  onReload: () => void;
  onOverwrite: () => void;
  busy: boolean;
}) {
  return (
    <div role="alert" className="problem problem-conflict">
      <p>
        <strong>This memory was changed elsewhere</strong> after you opened it, so your edit was not saved.
      </p>
      <p>Reload to see the other change (your edit is discarded), or overwrite it with your version.</p>
      <div className="row">
        <button type="button" onClick={onReload} disabled={busy}>
          Reload
        </button>
        <button type="button" className="danger" onClick={onOverwrite} disabled={busy}>
          Overwrite with mine
        </button>
      </div>
    </div>
  );
}
