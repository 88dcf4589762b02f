import { useLocation } from "wouter";
import { describeError } from "../../lib/errors.ts";
import { memoryPath } from "../../lib/format.ts";
import { ProblemMessage } from "../../lib/ProblemMessage.tsx";
import { MemoryForm } from "./MemoryForm.tsx";
import { useMemoryMutations } from "./use-memory-mutations.ts";

export default function NewMemory() {
  const [, navigate] = useLocation();
  const { create } = useMemoryMutations();
  return (
    <section className="stack" aria-labelledby="new-memory">
      <h1 id="new-memory">New memory</h1>
      {create.isError && <ProblemMessage problem={describeError(create.error)} />}
      <div className="card">
        <MemoryForm
          initial={{ videoId: "", description: "", tags: [] }}
          busy={create.isPending}
          submitLabel="Create"
          onSubmit={(draft) =>
            create.mutate(
              { videoId: draft.videoId, description: draft.description, tags: draft.tags },
              { onSuccess: (memory) => navigate(memoryPath(memory.videoId)) },
            )
          }
          onCancel={() => navigate("/")}
        />
      </div>
    </section>
  );
}
