import type { Deps } from "@/deps.ts";
import { notFound } from "@/errors.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";

/** A frequently asked question, or a canned answer agents paste into replies. */
export interface FaqEntry {
  id: string;
  organizationId: string;
  kind: "faq" | "canned";
  question: string;
  answer: string;
  /** Short code agents type to find a canned answer, such as "refund-policy". */
  shortcut: string | null;
  tags: string[];
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export type FaqInput = Pick<FaqEntry, "kind" | "question" | "answer" | "shortcut" | "tags">;

export interface FaqService {
  create(orgId: string, userId: string, input: FaqInput): Promise<FaqEntry>;
  get(orgId: string, id: string): Promise<FaqEntry>;
  update(orgId: string, id: string, patch: Partial<FaqInput>): Promise<FaqEntry>;
  remove(orgId: string, id: string): Promise<void>;
  search(
    orgId: string,
    filter: { kind?: FaqEntry["kind"]; text?: string; tag?: string },
    page: PageRequest,
  ): Promise<PageResult<FaqEntry>>;
}

export function createFaqService(deps: Pick<Deps, "store" | "clock" | "ids">): FaqService {
  const docs = deps.store.documents("faq");
  const service: FaqService = {
    async create(orgId, userId, input) {
      const at = deps.clock.now().toISOString();
      return await docs.insert({
        id: deps.ids.next(),
        organizationId: orgId,
        ...input,
        tags: [...new Set(input.tags)],
        createdBy: userId,
        createdAt: at,
        updatedAt: at,
      });
    },
    async get(orgId, id) {
      return (await docs.get(orgId, id)) ?? (() => {
        throw notFound("FAQ entry", id);
      })();
    },
    async update(orgId, id, patch) {
      const updated = await docs.update(orgId, id, {
        ...patch,
        updatedAt: deps.clock.now().toISOString(),
      });
      if (!updated) throw notFound("FAQ entry", id);
      return updated;
    },
    async remove(orgId, id) {
      if (!await docs.delete(orgId, id)) throw notFound("FAQ entry", id);
    },
    search(orgId, filter, page) {
      return docs.find(orgId, {
        where: filter.kind ? { kind: filter.kind } : {},
        ...(filter.text
          ? { text: { fields: ["question", "answer", "shortcut"], value: filter.text } }
          : {}),
        ...(filter.tag ? { contains: { field: "tags", value: filter.tag } } : {}),
        sort: [["question", "asc"]],
        page,
      });
    },
  };
  return service;
}
