import { useContext } from "react";
import { describeError } from "./errors.ts";
import { ProblemMessage } from "./ProblemMessage.tsx";
import { SessionContext } from "./session.ts";

/** A query that failed: what happened, and the way out (try again, or sign in again when the key stopped working). */
export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const session = useContext(SessionContext);
  const problem = describeError(error);
  const action =
    problem.kind === "unauthorized" && session ? (
      <button type="button" onClick={session.signOut}>
        Sign in again
      </button>
    ) : retry && problem.kind !== "not-found" && problem.kind !== "forbidden" ? (
      <button type="button" onClick={retry}>
        Try again
      </button>
    ) : undefined;
  return <ProblemMessage problem={problem} action={action} />;
}
