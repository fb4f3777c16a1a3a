import type { SQLInputValue } from "node:sqlite";
import type { Row } from "./db.ts";

/**
 * Tables that keep each resource as one JSON document in `doc`, with generated columns (and
 * their indexes) for what lists filter and sort on: one write path, indexed reads.
 */

/** The resource stored in a row's `doc` column. */
export function docOf<T>(row: Row): T {
  return JSON.parse(String(row.doc)) as T;
}

/** `json_set(doc, '$.a', json(?), ...)` for the keys of a patch, and its values. */
export function jsonSet(patch: Record<string, unknown>): { sql: string; values: SQLInputValue[] } {
  const keys = Object.keys(patch).filter((k) => patch[k] !== undefined);
  if (keys.length === 0) return { sql: "doc", values: [] };
  for (const k of keys) {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(k)) throw new Error(`Unexpected field name "${k}"`);
  }
  return {
    sql: `json_set(doc, ${keys.map((k) => `'$.${k}', json(?)`).join(", ")})`,
    values: keys.map((k) => JSON.stringify(patch[k])),
  };
}

/** A growing WHERE clause with its arguments. */
export class Where {
  readonly parts: string[] = [];
  readonly args: SQLInputValue[] = [];

  add(sql: string, ...args: SQLInputValue[]): this {
    this.parts.push(sql);
    this.args.push(...args);
    return this;
  }

  /** `col IN (?, ?, …)`; an empty list matches nothing. */
  in(column: string, values: readonly SQLInputValue[]): this {
    if (values.length === 0) return this.add("0");
    return this.add(`${column} IN (${values.map(() => "?").join(", ")})`, ...values);
  }

  /** `col = ?`, or `col IS NULL` for null. */
  is(column: string, value: SQLInputValue | null): this {
    return value === null ? this.add(`${column} IS NULL`) : this.add(`${column} = ?`, value);
  }

  get sql(): string {
    return this.parts.length ? this.parts.join(" AND ") : "1";
  }
}
