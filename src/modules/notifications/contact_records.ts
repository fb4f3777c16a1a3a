import type { Deps } from "@/deps.ts";
import type { ContactRecords } from "@/modules/contacts/model.ts";
import { findAll } from "@/store/documents.ts";

/** A contact's notifications (query updates, replies): moved by a merge, deleted by erasure. */
export function notificationContactRecords(deps: Pick<Deps, "store">): ContactRecords {
  const docs = deps.store.documents("notifications");
  return {
    async move(orgId, from, to) {
      await docs.updateMany(orgId, { userId: from }, { userId: to });
    },
    async export(orgId, contactId) {
      return { notifications: await findAll(docs, orgId, { userId: contactId }) };
    },
    async erase(orgId, contactId) {
      for (const n of await findAll(docs, orgId, { userId: contactId })) {
        await docs.delete(orgId, n.id);
      }
    },
  };
}
