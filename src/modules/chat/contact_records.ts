import type { Deps } from "@/deps.ts";
import { type ContactRecords, erasedMarker } from "@/modules/contacts/model.ts";
import { findAll } from "@/store/documents.ts";
import type { AttachmentService } from "./attachments.ts";
import { messageView } from "./repository.ts";

/** Every message of the rooms, oldest first, read a page at a time. */
async function allMessages(deps: Pick<Deps, "store">, orgId: string, roomIds: string[]) {
  const all = [];
  for (let page = 1;; page++) {
    const got = await deps.store.messages.listInRooms(orgId, roomIds, { page, limit: 500 });
    all.push(...got.data);
    if (got.data.length === 0 || all.length >= got.total) return all.reverse();
  }
}

/**
 * The chat's part of a contact: their query rooms, the messages in them, their read positions
 * and files. A merge moves all of it; an erasure keeps the rooms and the team's messages and
 * replaces the contact's words with a marker, deleting the files they sent.
 */
export function chatContactRecords(
  deps: Pick<Deps, "store">,
  attachments: Pick<AttachmentService, "ofContact" | "moveUploader" | "eraseUploader">,
): ContactRecords {
  const rooms = deps.store.documents("rooms");
  const reads = deps.store.documents("room_reads");
  const roomsOf = (orgId: string, customerId: string) => findAll(rooms, orgId, { customerId });
  return {
    async move(orgId, from, to) {
      await rooms.updateMany(orgId, { customerId: from }, { customerId: to });
      await deps.store.messages.moveSender(orgId, from, to);
      // A read position's id is derived from its user: the merged one's are let go.
      for (const read of await findAll(reads, orgId, { userId: from })) {
        await reads.delete(orgId, read.id);
      }
      await attachments.moveUploader(orgId, from, to);
    },
    async export(orgId, contactId) {
      const roomIds = (await roomsOf(orgId, contactId)).map((r) => r.id);
      const files = await attachments.ofContact(orgId, contactId, roomIds);
      return {
        rooms: roomIds,
        messages: (await allMessages(deps, orgId, roomIds)).map(messageView),
        files: files.map((f) => ({
          id: f.id,
          name: f.name,
          contentType: f.contentType,
          size: f.size,
          uploadedBy: f.uploadedBy,
          createdAt: f.createdAt,
          url: `/api/v1/chat/files/${f.id}`,
        })),
      };
    },
    async erase(orgId, contactId) {
      await attachments.eraseUploader(orgId, contactId);
      await deps.store.messages.eraseSender(orgId, contactId, erasedMarker);
      for (const read of await findAll(reads, orgId, { userId: contactId })) {
        await reads.delete(orgId, read.id);
      }
    },
  };
}
