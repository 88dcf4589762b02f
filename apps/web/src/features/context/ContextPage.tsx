import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { type FormEvent, useDeferredValue, useId, useState } from "react";
import { Link } from "wouter";
import { ErrorState } from "../../lib/ErrorState.tsx";
import { memoryPath } from "../../lib/format.ts";
import { useTRPC } from "../../lib/trpc.ts";

// The server's bounds for maxChars are 200–100,000; the slider covers what fits a prompt comfortably.
const MIN_CHARS = 200;
const MAX_CHARS = 20_000;

/** A question and a budget → exactly the text the clone would put in its prompt, and where each part came from. */
export default function ContextPage() {
  const trpc = useTRPC();
  const [question, setQuestion] = useState("");
  const [asked, setAsked] = useState("");
  const [budget, setBudget] = useState(2000);
  const maxChars = useDeferredValue(budget);
  const budgetHint = useId();
  const context = useQuery({
    ...trpc.videoAnalysis.context.queryOptions({ query: asked, maxChars }),
    enabled: asked.trim() !== "",
    placeholderData: keepPreviousData,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setAsked(question.trim());
  };
  return (
    <section className="stack" aria-labelledby="context-title">
      <h1 id="context-title">Context preview</h1>
      <form className="card stack" onSubmit={submit}>
        <label>
          Question
          <input value={question} onChange={(event) => setQuestion(event.target.value)} autoComplete="off" />
        </label>
        <label>
          Budget: {budget.toLocaleString()} characters
          <input
            type="range"
            min={MIN_CHARS}
            max={MAX_CHARS}
            step={100}
            value={budget}
            aria-describedby={budgetHint}
            onChange={(event) => setBudget(Number(event.target.value))}
          />
        </label>
        <p id={budgetHint} className="hint">
          The most characters of memories the clone may put in its prompt.
        </p>
        <button type="submit" className="primary">
          Preview
        </button>
      </form>
      {context.isError && <ErrorState error={context.error} retry={() => void context.refetch()} />}
      {context.isSuccess && (
        <>
          <h2>What the clone would receive</h2>
          <p role="status" className="hint">
            {context.data.text.length.toLocaleString()} of {maxChars.toLocaleString()} characters
            {context.data.truncated ? "; some memories were shortened or left out to fit." : "."}
          </p>
          <pre className="context-text" tabIndex={0} aria-label="Context text">
            {context.data.text || "(no memory matched)"}
          </pre>
          {context.data.sources.length > 0 && (
            <table className="sources">
              <caption>Sources, in the order they appear</caption>
              <thead>
                <tr>
                  <th scope="col">Memory</th>
                  <th scope="col">Score</th>
                  <th scope="col">Characters</th>
                </tr>
              </thead>
              <tbody>
                {context.data.sources.map((source) => (
                  <tr key={source.videoId}>
                    <td>
                      <Link href={memoryPath(source.videoId)}>{source.videoId}</Link>
                    </td>
                    <td>{source.score === null ? "—" : source.score.toFixed(2)}</td>
                    <td>{source.chars.toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
