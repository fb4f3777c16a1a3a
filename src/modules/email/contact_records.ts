import type { Deps } from "@/deps.ts";
import type { ContactRecords } from "@/modules/contacts/model.ts";
import { findAll } from "@/store/documents.ts";

/**
 * The mail side of a contact: the threads of their email queries (address, subject,
 * Message-IDs) and replies still waiting to leave. Threads belong to their query, so a merge
 * has nothing to move; an erasure deletes them, and no reply goes to the erased address.
 */
export function emailContactRecords(
  deps: Pick<Deps, "store">,
  queryIdsOf: (orgId: string, customerId: string) => Promise<string[]>,
): ContactRecords {
  const threads = deps.store.documents("mail_threads");
  const outbox = deps.store.documents("mail_outbox");
  return {
    async move() {},
    async export(orgId, contactId) {
      const ids = await queryIdsOf(orgId, contactId);
      return { mailThreads: await threads.getMany(orgId, ids) };
    },
    async erase(orgId, contactId) {
      for (const queryId of await queryIdsOf(orgId, contactId)) {
        for (const reply of await findAll(outbox, orgId, { queryId })) {
          await outbox.delete(orgId, reply.id);
        }
        await threads.delete(orgId, queryId);
      }
    },
  };
}
