import { type FormEvent, useEffect, useId, useState } from "react";
import type { Credentials } from "../../lib/api-client.ts";
import type { Problem } from "../../lib/errors.ts";
import { ProblemMessage } from "../../lib/ProblemMessage.tsx";

export interface SignInProps {
  /** Asks the server whether it accepts these credentials (undefined: yes). */
  check: (credentials: Credentials) => Promise<Problem | undefined>;
  onSignedIn: (credentials: Credentials, remember: boolean) => void;
}

export function SignIn({ check, onSignedIn }: SignInProps) {
  const [apiKey, setApiKey] = useState("");
  const [space, setSpace] = useState("");
  const [remember, setRemember] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  // With AUTH=off the server takes calls without a key (and refuses none): offer to go on without one.
  const [openServer, setOpenServer] = useState(false);
  const hintId = useId();

  useEffect(() => {
    let current = true;
    void check({ apiKey: null, space: null }).then((result) => {
      if (current && result === undefined) setOpenServer(true);
    });
    return () => {
      current = false;
    };
  }, [check]);

  const submit = async (credentials: Credentials) => {
    setBusy(true);
    setProblem(undefined);
    const result = await check(credentials);
    setBusy(false);
    if (result) setProblem(result);
    else onSignedIn(credentials, remember);
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const key = apiKey.trim();
    if (!key) {
      setProblem({ kind: "invalid", title: "Enter your API key (it starts with mm_)." });
      return;
    }
    void submit({ apiKey: key, space: space.trim() || null });
  };

  return (
    <main id="main" className="sign-in">
      <h1>Memory Mirror</h1>
      <p>See, search and correct what your clone remembers.</p>
      <form onSubmit={onSubmit} className="card stack" aria-busy={busy}>
        <h2>Sign in</h2>
        <label>
          API key
          <input
            type="password"
            name="apiKey"
            autoComplete="off"
            spellCheck={false}
            value={apiKey}
            onChange={(event) => setApiKey(event.target.value)}
            aria-describedby={hintId}
          />
        </label>
        <p id={hintId} className="hint">
          Your key starts with <code>mm_</code>. It is sent only to this server, never put in a link.
        </p>
        <label>
          Space (optional)
          <input
            name="space"
            autoComplete="off"
            spellCheck={false}
            value={space}
            placeholder="default"
            onChange={(event) => setSpace(event.target.value)}
          />
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={remember} onChange={(event) => setRemember(event.target.checked)} />
          Remember me on this device
        </label>
        {problem && <ProblemMessage problem={problem} />}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      {openServer && (
        <section className="card stack" aria-labelledby="open-server">
          <h2 id="open-server">No key needed here</h2>
          <p>This server runs with authentication off: anyone who can reach it can read and change its memories.</p>
          <button
            type="button"
            disabled={busy}
            onClick={() => void submit({ apiKey: null, space: space.trim() || null })}
          >
            Continue without a key
          </button>
        </section>
      )}
    </main>
  );
}
