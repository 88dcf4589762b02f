import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { describeError } from "../../lib/errors.ts";
import { ErrorState } from "../../lib/ErrorState.tsx";
import { formatDate } from "../../lib/format.ts";
import { ProblemMessage } from "../../lib/ProblemMessage.tsx";
import { useTRPC } from "../../lib/trpc.ts";
import { CreateKey } from "./CreateKey.tsx";

/** Admin keys only: every key (never a secret), create one, revoke one. */
export default function KeysPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.keys.list.queryOptions());
  const revoke = useMutation(
    trpc.keys.revoke.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.keys.list.queryKey() }),
    }),
  );
  return (
    <section className="stack" aria-labelledby="keys-title">
      <h1 id="keys-title">API keys</h1>
      {keys.isError && <ErrorState error={keys.error} retry={() => void keys.refetch()} />}
      {revoke.isError && <ProblemMessage problem={describeError(revoke.error)} />}
      {keys.isSuccess && (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Keys table">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Starts with</th>
                <th scope="col">Space</th>
                <th scope="col">Scopes</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.items.map((key) => (
                <tr key={key.id}>
                  <td>{key.name}</td>
                  <td>
                    <code>{key.prefix}…</code>
                  </td>
                  <td>{key.space === "*" ? "any" : key.space}</td>
                  <td>{key.scopes.join(", ")}</td>
                  <td>{key.lastUsedAt ? formatDate(key.lastUsedAt) : "never"}</td>
                  <td>
                    <button
                      type="button"
                      className="danger"
                      disabled={revoke.isPending}
                      aria-label={`Revoke ${key.name}`}
                      onClick={() => {
                        if (window.confirm(`Revoke the key “${key.name}”? Programs using it stop working.`))
                          revoke.mutate({ key: key.id });
                      }}
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CreateKey />
    </section>
  );
}
