import { z } from "@hono/zod-openapi";

/** A custom field's value as the API shows and takes it. */
export const CustomValueSchema = z.union([z.string(), z.number(), z.boolean()]);

/** Values by field key, as a body sends them: null removes a value. */
export const CustomValuesBody = z.record(
  z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "expected a field key"),
  CustomValueSchema.nullable(),
).openapi({ description: "Values by field key; null removes a value" });

/** The `field=key:value` filter of a list. */
export const FieldFilter = z.string().regex(/^[a-z][a-z0-9_]{0,39}:.{0,200}$/, "expected key:value")
  .openapi({ description: "A custom field's value, as `key:value` (`plan:gold`)" });

/** Splits a `field=key:value` filter. */
export function fieldFilter(text: string): { key: string; raw: string } {
  const at = text.indexOf(":");
  return { key: text.slice(0, at), raw: text.slice(at + 1) };
}
