import { uuidv7 } from "@/ids.ts";
import {
  defaultLabelColor,
  type Label,
  type LabelRepository,
} from "@/modules/labels/repository.ts";
import { pageOffset } from "@/store/types.ts";
import { type Db, fromStored, rethrowConflict, type Stored } from "./db.ts";

/** A label as stored: with its lower-cased name, which the unique index keeps one per org. */
type LabelDoc = Stored<Label> & { nameKey: string };

const toLabel = ({ nameKey: _k, ...doc }: LabelDoc): Label => fromStored<Label>(doc);
const taken = (name: string) => `A label named "${name}" already exists`;

/** One label name per organization, whatever its case. */
export async function ensureLabelIndexes(db: Db): Promise<void> {
  await db.collection("labels").createIndex({ organizationId: 1, nameKey: 1 }, { unique: true });
}

/**
 * Each distinct tag (by case) of an organization's queries becomes one of its labels, and every
 * query that has no `labels` yet gets its tags' label ids: the migration `0800_labels`. Safe to
 * run again: a label of that name is reused, and a query that has labels is left alone.
 */
export async function tagsToLabels(db: Db): Promise<void> {
  const labels = db.collection<LabelDoc>("labels");
  const queries = db.collection<{ _id: string; organizationId: string; tags?: string[] }>(
    "queries",
  );
  const ids = new Map<string, string>();
  const labelOf = async (orgId: string, tag: string) => {
    const key = `${orgId}\u0000${tag.toLowerCase()}`;
    const known = ids.get(key);
    if (known) return known;
    const at = new Date().toISOString();
    const label = await labels.findOneAndUpdate(
      { organizationId: orgId, nameKey: tag.toLowerCase() },
      {
        $setOnInsert: {
          _id: uuidv7(),
          name: tag,
          color: defaultLabelColor,
          description: "",
          createdAt: at,
          updatedAt: at,
        },
      },
      { upsert: true, returnDocument: "after" },
    );
    ids.set(key, label!._id);
    return label!._id;
  };
  for (;;) {
    const batch = await queries.find({ labels: { $exists: false } })
      .project<{ _id: string; organizationId: string; tags?: string[] }>({
        organizationId: 1,
        tags: 1,
      }).limit(500).toArray();
    if (batch.length === 0) break;
    const updates = [];
    for (const q of batch) {
      const mine = new Set<string>();
      for (const tag of q.tags ?? []) mine.add(await labelOf(q.organizationId, tag));
      updates.push({
        updateOne: { filter: { _id: q._id }, update: { $set: { labels: [...mine] } } },
      });
    }
    await queries.bulkWrite(updates);
  }
}

/** Labels in the `labels` collection. */
export function mongoLabelRepository(db: Db): LabelRepository {
  const labels = db.collection<LabelDoc>("labels");
  const stored = (l: Label): LabelDoc => {
    const { id, ...rest } = l;
    return { _id: id, ...rest, nameKey: l.name.toLowerCase() };
  };
  return {
    async create(label) {
      try {
        await labels.insertOne(stored(label));
      } catch (err) {
        rethrowConflict(err, taken(label.name));
      }
      return structuredClone(label);
    },
    async get(orgId, id) {
      const doc = await labels.findOne({ _id: id, organizationId: orgId });
      return doc ? toLabel(doc) : null;
    },
    async getMany(orgId, ids) {
      if (ids.length === 0) return [];
      const docs = await labels.find({ organizationId: orgId, _id: { $in: [...ids] } }).toArray();
      return docs.map(toLabel);
    },
    async findByName(orgId, name) {
      const doc = await labels.findOne({ organizationId: orgId, nameKey: name.toLowerCase() });
      return doc ? toLabel(doc) : null;
    },
    async list(orgId, page) {
      const [docs, total] = await Promise.all([
        labels.find({ organizationId: orgId }).sort({ nameKey: 1, _id: 1 })
          .skip(pageOffset(page)).limit(page.limit).toArray(),
        labels.countDocuments({ organizationId: orgId }),
      ]);
      return { data: docs.map(toLabel), total };
    },
    async update(orgId, id, patch) {
      const set: Partial<LabelDoc> = { ...patch };
      if (patch.name !== undefined) set.nameKey = patch.name.toLowerCase();
      try {
        const doc = await labels.findOneAndUpdate({ _id: id, organizationId: orgId }, {
          $set: set,
        }, { returnDocument: "after" });
        return doc ? toLabel(doc) : null;
      } catch (err) {
        rethrowConflict(err, taken(patch.name ?? ""));
      }
    },
    async delete(orgId, id) {
      const { deletedCount } = await labels.deleteOne({ _id: id, organizationId: orgId });
      return deletedCount > 0;
    },
  };
}
