import { useCallback, useState } from "react";
import type { Credentials } from "../lib/api-client.ts";
import { checkCredentials } from "../features/auth/check-credentials.ts";
import { clearSession, loadSession, saveSession } from "../features/auth/session-storage.ts";
import { SignIn } from "../features/auth/SignIn.tsx";
import { SignedInApp } from "./SignedInApp.tsx";

export function App() {
  const [credentials, setCredentials] = useState<Credentials | null>(loadSession);
  const signOut = useCallback(() => {
    clearSession();
    setCredentials(null);
  }, []);

  if (!credentials) {
    return (
      <SignIn
        check={checkCredentials}
        onSignedIn={(signedIn, remember) => {
          saveSession(signedIn, remember);
          setCredentials(signedIn);
        }}
      />
    );
  }
  // A new session starts from an empty cache: nothing one key read is shown to the next.
  return <SignedInApp key={JSON.stringify(credentials)} credentials={credentials} signOut={signOut} />;
}
