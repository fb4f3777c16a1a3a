import type { Deps } from "@/deps.ts";
import type { ContactRecords } from "@/modules/contacts/model.ts";
import { findAll } from "@/store/documents.ts";

/**
 * A contact's calls with the team. A merge moves them; an erasure keeps the records (who on the
 * team talked when, for how long: no words of the contact), and the snapshots the contact took
 * go with their other files.
 */
export function callContactRecords(deps: Pick<Deps, "store">): ContactRecords {
  const calls = deps.store.documents("calls");
  const of = async (orgId: string, userId: string) => {
    const made = await findAll(calls, orgId, { callerId: userId });
    const taken = await findAll(calls, orgId, { calleeId: userId });
    return [...made, ...taken].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  };
  return {
    async move(orgId, from, to) {
      await calls.updateMany(orgId, { callerId: from }, { callerId: to });
      await calls.updateMany(orgId, { calleeId: from }, { calleeId: to });
    },
    async export(orgId, contactId) {
      return { calls: await of(orgId, contactId) };
    },
    async erase() {},
  };
}
