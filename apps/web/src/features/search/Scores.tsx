import type { SearchHit } from "../../lib/trpc.ts";

const SIGNALS = [
  ["text", "Words"],
  ["trigram", "Spelling"],
  ["vector", "Meaning"],
] as const;

const shown = (value: number | null) => (value === null ? "no match" : value.toFixed(2));

/** The overall score and each signal's, so a person sees why a memory came first. */
export function Scores({ hit }: { hit: SearchHit }) {
  return (
    <dl className="scores">
      <div>
        <dt>Score</dt>
        <dd>{hit.score.toFixed(2)}</dd>
      </div>
      {SIGNALS.map(([signal, label]) => (
        <div key={signal}>
          <dt>{label}</dt>
          <dd>{shown(hit.scores[signal])}</dd>
        </div>
      ))}
    </dl>
  );
}
