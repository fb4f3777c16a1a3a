import type { Deps } from "@/deps.ts";
import type { Actor } from "@/modules/users/actor.ts";
import { can } from "@/modules/users/actor.ts";
import type { ChatService } from "@/modules/chat/service.ts";
import { type MessageView, viewFor } from "@/modules/chat/repository.ts";
import type { Query } from "@/modules/queries/model.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";

/** One message found, the query of its room, and where the words are in its text. */
export interface SearchHit {
  message: MessageView;
  query: Pick<Query, "id" | "reference" | "title" | "status"> | null;
  /** Each occurrence as `[start, end)` offsets into the message's text. */
  highlights: { start: number; end: number }[];
}

export interface SearchService {
  /** Messages (and, for staff, notes) containing `text`, in the rooms the caller may read. */
  search(actor: Actor, text: string, page: PageRequest): Promise<PageResult<SearchHit>>;
}

/** Where `needle` occurs in `text`, whatever the case. */
export function occurrences(text: string, needle: string): { start: number; end: number }[] {
  const hay = text.toLowerCase();
  const key = needle.toLowerCase();
  const found = [];
  for (let at = hay.indexOf(key); at >= 0; at = hay.indexOf(key, at + key.length)) {
    found.push({ start: at, end: at + key.length });
  }
  return found;
}

export function createSearchService(
  deps: Pick<Deps, "store">,
  chat: Pick<ChatService, "rooms">,
): SearchService {
  const { store } = deps;
  return {
    async search(actor, text, page) {
      // Supervisors read every room of the organization; others the rooms they are shown.
      const roomIds = can(actor.role, "chat.oversee")
        ? null
        : (await chat.rooms(actor)).map((r) => r.id);
      const found = await store.messages.search(actor.orgId, {
        text,
        roomIds,
        includeNotes: can(actor.role, "chat.note"),
      }, page);
      const rooms = await store.documents("rooms").getMany(actor.orgId, [
        ...new Set(found.data.map((m) => m.roomId)),
      ]);
      const queryOf = new Map<string, SearchHit["query"]>();
      for (const room of rooms) {
        const q = room.queryId ? await store.queries.findById(actor.orgId, room.queryId) : null;
        queryOf.set(
          room.id,
          q && { id: q.id, reference: q.reference, title: q.title, status: q.status },
        );
      }
      const view = viewFor(actor.role);
      return {
        total: found.total,
        data: found.data.map((m) => ({
          message: view(m),
          query: queryOf.get(m.roomId) ?? null,
          highlights: occurrences(m.text, text),
        })),
      };
    },
  };
}
