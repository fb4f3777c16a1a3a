import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { ZodError } from "zod";
import { AppError } from "@/errors.ts";
import type { AppEnv } from "./env.ts";

/** Field-level details of a failed validation: where and what. */
export function validationDetails(error: ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}

/** A router whose zod validation failures become one 400 VALIDATION_FAILED error. */
export function router(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook(result) {
      if (!result.success) {
        throw new AppError("VALIDATION_FAILED", "Request validation failed", {
          details: validationDetails(result.error as ZodError),
        });
      }
    },
  });
}

export const ErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
    requestId: z.string().optional(),
  }),
}).openapi("Error");

const errorContent = { "application/json": { schema: ErrorSchema } };

/** The error answers a route may give, for its OpenAPI `responses`. */
export const errors = {
  400: { description: "Invalid input", content: errorContent },
  401: { description: "Missing, invalid, expired or revoked token", content: errorContent },
  403: { description: "Forbidden for this role, place or address", content: errorContent },
  404: { description: "Not found in this organization", content: errorContent },
  409: { description: "Conflicts with the current state", content: errorContent },
  413: { description: "Body too large", content: errorContent },
  416: { description: "The range asked for is outside the file", content: errorContent },
  422: { description: "Names something this organization does not have", content: errorContent },
  429: { description: "Too many requests", content: errorContent },
} as const;

/** A JSON request body for `createRoute`. */
export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return {
    required: true,
    ...(description ? { description } : {}),
    content: { "application/json": { schema } },
  };
}

/** A JSON response for `createRoute`. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** `{data, meta}` list envelope for a resource schema. */
export function pageOf<T extends z.ZodType>(schema: T) {
  return z.object({
    data: z.array(schema),
    meta: z.object({ total: z.number().int(), page: z.number().int(), limit: z.number().int() }),
  });
}

/** Paging query parameters shared by every list. */
export const PageQuery = z.object({
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** Bearer token requirement for documented operations. */
export const bearer = [{ bearerAuth: [] }];

/** The object without its undefined fields: zod's optional `T | undefined` to `T`'s `?:`. */
export function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

/** A stored record as the API shows it: the organization is the caller's, so it is left out. */
export function withoutOrg<T extends { organizationId: unknown }>(
  { organizationId: _org, ...rest }: T,
): Omit<T, "organizationId"> {
  return rest;
}
