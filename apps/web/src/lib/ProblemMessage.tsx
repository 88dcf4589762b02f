import type { Problem } from "./errors.ts";

/** A failed call in words, announced to screen readers; `action` offers the way out (retry, sign in again…). */
export function ProblemMessage({ problem, action }: { problem: Problem; action?: React.ReactNode }) {
  return (
    <div role="alert" className={`problem problem-${problem.kind}`}>
      <p>{problem.title}</p>
      {problem.detail && problem.detail !== problem.title && <p className="hint">{problem.detail}</p>}
      {action}
    </div>
  );
}
