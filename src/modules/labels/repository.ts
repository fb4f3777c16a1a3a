import type { PageRequest, PageResult } from "@/store/types.ts";

/** One of an organization's labels: queries carry it by id, so a rename shows everywhere. */
export interface Label {
  id: string;
  organizationId: string;
  /** Unique in the organization, whatever its case. */
  name: string;
  /** `#rrggbb`. */
  color: string;
  description: string;
  createdAt: string;
  updatedAt: string;
}

export type LabelPatch = Partial<Pick<Label, "name" | "color" | "description" | "updatedAt">>;

/** The colour of a label made without one (and of those migrated from tags). */
export const defaultLabelColor = "#6b7280";

/** An organization's label set. */
export interface LabelRepository {
  /** Stores the label; ConflictError when the organization has one of that name (any case). */
  create(label: Label): Promise<Label>;
  get(orgId: string, id: string): Promise<Label | null>;
  /** The organization's labels with these ids (unknown ids are left out). */
  getMany(orgId: string, ids: readonly string[]): Promise<Label[]>;
  /** By name, whatever its case. */
  findByName(orgId: string, name: string): Promise<Label | null>;
  /** By name, ascending. */
  list(orgId: string, page: PageRequest): Promise<PageResult<Label>>;
  /** The label after the change, or null when there is none; ConflictError on a taken name. */
  update(orgId: string, id: string, patch: LabelPatch): Promise<Label | null>;
  /** Whether there was such a label. */
  delete(orgId: string, id: string): Promise<boolean>;
}
