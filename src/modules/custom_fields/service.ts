import type { Deps } from "@/deps.ts";
import { AppError, ConflictError, notFound } from "@/errors.ts";
import type { CustomValue } from "@/modules/users/repository.ts";
import { isSafeLine } from "@/modules/text.ts";

export const fieldTypes = ["text", "number", "date", "list", "boolean"] as const;
export type FieldType = (typeof fieldTypes)[number];
export const fieldEntities = ["contact", "query"] as const;
export type FieldEntity = (typeof fieldEntities)[number];

/** A typed field an organization adds to its contacts or its queries. */
export interface CustomField {
  id: string;
  organizationId: string;
  entity: FieldEntity;
  /** How values are keyed on the record and named in filters: `plan`, `renewal_date`. */
  key: string;
  label: string;
  type: FieldType;
  /** The allowed values of a `list` field; empty otherwise. */
  options: string[];
  createdAt: string;
  updatedAt: string;
}

export type NewCustomField = Pick<CustomField, "entity" | "key" | "label" | "type" | "options">;
export type CustomFieldPatch = Partial<Pick<CustomField, "label" | "options">>;

/** Values as a request sends them: null removes the field's value. */
export type CustomValuesInput = Record<string, CustomValue | null>;

export interface CustomFieldService {
  list(orgId: string, entity?: FieldEntity): Promise<CustomField[]>;
  create(orgId: string, input: NewCustomField): Promise<CustomField>;
  update(orgId: string, id: string, patch: CustomFieldPatch): Promise<CustomField>;
  /** Removes the field; its values leave every record with it. */
  remove(orgId: string, id: string): Promise<void>;
  /**
   * Checks the values against the entity's fields and applies them to `current`: unknown keys
   * and values of the wrong type are a VALIDATION_FAILED naming each field.
   */
  apply(
    orgId: string,
    entity: FieldEntity,
    current: Record<string, CustomValue>,
    input: CustomValuesInput,
  ): Promise<Record<string, CustomValue>>;
  /** A filter's text value read as the field's type (`?field.seats=12` is the number 12). */
  filterValue(
    orgId: string,
    entity: FieldEntity,
    key: string,
    raw: string,
  ): Promise<{ key: string; value: CustomValue }>;
}

const maxFields = 100;

/** `YYYY-MM-DD` that names a real day. */
function isDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const day = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === value;
}

/** Why the value does not fit the field, or null when it does. */
export function valueProblem(field: CustomField, value: CustomValue): string | null {
  switch (field.type) {
    case "text":
      return typeof value === "string" && value.length <= 1000 && isSafeLine(value)
        ? null
        : "expected one line of at most 1000 characters, without control characters";
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? null : "expected a number";
    case "date":
      return typeof value === "string" && isDate(value) ? null : "expected a date (YYYY-MM-DD)";
    case "list":
      return typeof value === "string" && field.options.includes(value)
        ? null
        : `expected one of ${field.options.map((o) => `"${o}"`).join(", ")}`;
    case "boolean":
      return typeof value === "boolean" ? null : "expected true or false";
  }
}

function invalid(details: { path: string; message: string }[]): AppError {
  return new AppError("VALIDATION_FAILED", "Custom field values are not valid", { details });
}

export function createCustomFieldService(
  deps: Pick<Deps, "store" | "clock" | "ids">,
): CustomFieldService {
  const docs = deps.store.documents("custom_fields");
  const now = () => deps.clock.now().toISOString();

  async function all(orgId: string, entity?: FieldEntity): Promise<CustomField[]> {
    const page = await docs.find(orgId, {
      ...(entity ? { where: { entity } } : {}),
      sort: [["entity", "asc"], ["key", "asc"]],
      page: { page: 1, limit: maxFields * fieldEntities.length },
    });
    return page.data;
  }

  async function byKey(orgId: string, entity: FieldEntity): Promise<Map<string, CustomField>> {
    return new Map((await all(orgId, entity)).map((f) => [f.key, f]));
  }

  return {
    list: all,
    async create(orgId, input) {
      const fields = await all(orgId, input.entity);
      if (fields.some((f) => f.key === input.key)) {
        throw new ConflictError(`A ${input.entity} field "${input.key}" exists`);
      }
      if (fields.length >= maxFields) {
        throw new AppError("CONFLICT", `At most ${maxFields} ${input.entity} fields`);
      }
      const at = now();
      return await docs.insert({
        id: deps.ids.next(),
        organizationId: orgId,
        ...input,
        options: input.type === "list" ? [...new Set(input.options)] : [],
        createdAt: at,
        updatedAt: at,
      });
    },
    async update(orgId, id, patch) {
      const field = await docs.get(orgId, id);
      if (!field) throw notFound("Custom field", id);
      if (patch.options && field.type !== "list") {
        throw invalid([{ path: "options", message: "only a list field has options" }]);
      }
      const updated = await docs.update(orgId, id, {
        ...(patch.label !== undefined ? { label: patch.label } : {}),
        ...(patch.options ? { options: [...new Set(patch.options)] } : {}),
        updatedAt: now(),
      });
      if (!updated) throw notFound("Custom field", id);
      return updated;
    },
    async remove(orgId, id) {
      const field = await docs.get(orgId, id);
      if (!field) throw notFound("Custom field", id);
      if (field.entity === "contact") await deps.store.users.unsetCustomField(orgId, field.key);
      else await deps.store.queries.unsetCustomField(orgId, field.key);
      await docs.delete(orgId, id);
    },
    async apply(orgId, entity, current, input) {
      const keys = Object.keys(input);
      if (keys.length === 0) return current;
      const fields = await byKey(orgId, entity);
      const problems: { path: string; message: string }[] = [];
      const next = { ...current };
      for (const key of keys) {
        const field = fields.get(key);
        const value = input[key];
        if (!field) {
          problems.push({ path: `customFields.${key}`, message: "no such field" });
        } else if (value === null || value === undefined) {
          delete next[key];
        } else {
          const problem = valueProblem(field, value);
          if (problem) problems.push({ path: `customFields.${key}`, message: problem });
          else next[key] = value;
        }
      }
      if (problems.length) throw invalid(problems);
      return next;
    },
    async filterValue(orgId, entity, key, raw) {
      const field = (await byKey(orgId, entity)).get(key);
      if (!field) throw invalid([{ path: `field.${key}`, message: "no such field" }]);
      const value: CustomValue = field.type === "number"
        ? Number(raw)
        : field.type === "boolean"
        ? raw === "true" ? true : raw === "false" ? false : raw
        : raw;
      const problem = valueProblem(field, value);
      if (problem || (field.type === "number" && raw.trim() === "")) {
        throw invalid([{ path: `field.${key}`, message: problem ?? "expected a number" }]);
      }
      return { key, value };
    },
  };
}
