import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { describeError } from "../../lib/errors.ts";
import { ProblemMessage } from "../../lib/ProblemMessage.tsx";
import { useTRPC } from "../../lib/trpc.ts";
import { NewSecret } from "./NewSecret.tsx";

const SCOPES = ["read", "write", "admin"] as const;
type Scope = (typeof SCOPES)[number];

export function CreateKey() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [space, setSpace] = useState("");
  const [scopes, setScopes] = useState<Scope[]>(["read"]);
  const create = useMutation(
    trpc.keys.create.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.keys.list.queryKey() }),
    }),
  );
  const admin = scopes.includes("admin");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name: name.trim(), space: admin ? "*" : space.trim() || "default", scopes });
  };
  const toggle = (scope: Scope, on: boolean) =>
    setScopes((current) => SCOPES.filter((s) => (s === scope ? on : current.includes(s))));

  return (
    <section className="card stack" aria-labelledby="create-key">
      <h2 id="create-key">Create a key</h2>
      {create.isSuccess && <NewSecret name={create.data.info.name} secret={create.data.key} />}
      <form className="stack" onSubmit={submit}>
        <label>
          Name
          <input required value={name} onChange={(event) => setName(event.target.value)} autoComplete="off" />
        </label>
        <label>
          Space
          <input
            value={admin ? "any (admin keys act in every space)" : space}
            placeholder="default"
            disabled={admin}
            onChange={(event) => setSpace(event.target.value)}
            autoComplete="off"
          />
        </label>
        <fieldset className="row">
          <legend>Scopes</legend>
          {SCOPES.map((scope) => (
            <label key={scope} className="checkbox">
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(event) => toggle(scope, event.target.checked)}
              />
              {scope}
            </label>
          ))}
        </fieldset>
        {create.isError && <ProblemMessage problem={describeError(create.error)} />}
        <button type="submit" className="primary" disabled={create.isPending || scopes.length === 0}>
          Create key
        </button>
      </form>
    </section>
  );
}
