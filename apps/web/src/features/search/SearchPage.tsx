import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link, useSearchParams } from "wouter";
import { ErrorState } from "../../lib/ErrorState.tsx";
import { memoryPath } from "../../lib/format.ts";
import { useTRPC } from "../../lib/trpc.ts";
import { Highlight } from "./Highlight.tsx";
import { Scores } from "./Scores.tsx";

/** Search by words as a person says them; results best first. The query lives in the address (?q=), never the key. */
export default function SearchPage() {
  const trpc = useTRPC();
  const [params, setParams] = useSearchParams();
  const query = params.get("q") ?? "";
  const [text, setText] = useState(query);
  const results = useQuery({
    ...trpc.videoAnalysis.search.queryOptions({ query, limit: 20 }),
    enabled: query.trim() !== "",
    placeholderData: keepPreviousData,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setParams(text.trim() ? { q: text.trim() } : {});
  };
  return (
    <section className="stack" aria-labelledby="search-title">
      <h1 id="search-title">Search memories</h1>
      <form role="search" className="row" onSubmit={submit}>
        <label className="grow">
          <span className="visually-hidden">Search</span>
          <input
            type="search"
            placeholder="What did I cook for Mia's birthday?"
            value={text}
            onChange={(event) => setText(event.target.value)}
          />
        </label>
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      {results.isError && <ErrorState error={results.error} retry={() => void results.refetch()} />}
      {results.isFetching && (
        <p aria-busy="true" className="hint">
          Searching…
        </p>
      )}
      {results.isSuccess && (
        <p role="status" className="hint">
          {results.data.items.length === 0
            ? "Nothing matched. Try other words."
            : `${results.data.items.length} result${results.data.items.length === 1 ? "" : "s"}, best first.`}
        </p>
      )}
      <ol className="results stack" aria-label="Results">
        {results.data?.items.map((hit) => (
          <li key={hit.analysis.id} className="card stack">
            <h2 className="memory-title">
              <Link href={memoryPath(hit.analysis.videoId)}>{hit.analysis.videoId}</Link>
            </h2>
            <p className="description clamp">
              <Highlight text={hit.highlight ?? hit.analysis.description} />
            </p>
            <Scores hit={hit} />
          </li>
        ))}
      </ol>
    </section>
  );
}
