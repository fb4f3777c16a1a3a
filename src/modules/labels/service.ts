import type { Deps } from "@/deps.ts";
import { AppError, notFound } from "@/errors.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";
import { defaultLabelColor, type Label } from "./repository.ts";

export type LabelInput = Pick<Label, "name" | "color" | "description">;

export interface LabelService {
  list(orgId: string, page: PageRequest): Promise<PageResult<Label>>;
  get(orgId: string, id: string): Promise<Label>;
  /** 409 when the organization has a label of that name, whatever its case. */
  create(orgId: string, input: Partial<LabelInput> & Pick<LabelInput, "name">): Promise<Label>;
  /** A rename shows on every query at once: they carry the label's id. */
  update(orgId: string, id: string, patch: Partial<LabelInput>): Promise<Label>;
  /** Removes the label and takes it off every query and contact that carried it. */
  remove(orgId: string, id: string): Promise<void>;
}

/**
 * The ids, deduplicated, when each is a label of the organization; 422 naming those that are not
 * (a query carries labels from its organization's set only).
 */
export async function knownLabels(
  deps: Pick<Deps, "store">,
  orgId: string,
  ids: readonly string[],
): Promise<string[]> {
  const wanted = [...new Set(ids)];
  const found = new Set((await deps.store.labels.getMany(orgId, wanted)).map((l) => l.id));
  const unknown = wanted.filter((id) => !found.has(id));
  if (unknown.length) {
    throw new AppError("UNPROCESSABLE", `No label "${unknown[0]}" in this organization`, {
      details: unknown.map((id) => ({ path: "labels", message: `no label "${id}" here` })),
    });
  }
  return wanted;
}

/** A label named by id or by name (any case), or null. */
export async function labelNamed(
  deps: Pick<Deps, "store">,
  orgId: string,
  idOrName: string,
): Promise<Label | null> {
  return await deps.store.labels.get(orgId, idOrName) ??
    await deps.store.labels.findByName(orgId, idOrName);
}

export function createLabelService(deps: Pick<Deps, "store" | "clock" | "ids">): LabelService {
  const { store } = deps;
  const now = () => deps.clock.now().toISOString();
  return {
    list: (orgId, page) => store.labels.list(orgId, page),
    async get(orgId, id) {
      return await store.labels.get(orgId, id) ?? (() => {
        throw notFound("Label", id);
      })();
    },
    async create(orgId, input) {
      const at = now();
      return await store.labels.create({
        id: deps.ids.next(),
        organizationId: orgId,
        name: input.name,
        color: input.color ?? defaultLabelColor,
        description: input.description ?? "",
        createdAt: at,
        updatedAt: at,
      });
    },
    async update(orgId, id, patch) {
      const updated = await store.labels.update(orgId, id, { ...patch, updatedAt: now() });
      if (!updated) throw notFound("Label", id);
      return updated;
    },
    async remove(orgId, id) {
      if (!await store.labels.delete(orgId, id)) throw notFound("Label", id);
      await store.queries.removeLabel(orgId, id);
      await store.users.removeLabel(orgId, id);
    },
  };
}
