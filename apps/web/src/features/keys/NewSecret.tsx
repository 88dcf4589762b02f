import { useState } from "react";

/** A new key's secret: shown this once (the server keeps only its hash), with a copy button. */
export function NewSecret({ name, secret }: { name: string; secret: string }) {
  const [copied, setCopied] = useState<"yes" | "failed">();
  const copy = () =>
    navigator.clipboard.writeText(secret).then(
      () => setCopied("yes"),
      () => setCopied("failed"),
    );
  return (
    <div className="secret stack" role="status">
      <p>
        <strong>Key “{name}” created.</strong> Copy it now: it is shown only this once.
      </p>
      <code className="break" aria-label="New key secret">
        {secret}
      </code>
      <div className="row">
        <button type="button" onClick={() => void copy()}>
          Copy key
        </button>
        {copied === "yes" && <span>Copied.</span>}
        {copied === "failed" && <span>Could not copy: select the key and copy it by hand.</span>}
      </div>
    </div>
  );
}
