import { z } from "@hono/zod-openapi";
import { PageQuery } from "@/http/openapi.ts";
import { userSortFields } from "@/modules/users/repository.ts";
import { Email, Name } from "@/modules/users/schemas.ts";
import {
  CustomValuesBody,
  CustomValueSchema,
  FieldFilter,
} from "@/modules/custom_fields/schemas.ts";

export const ContactSchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  name: z.string(),
  email: z.string(),
  phone: z.string().nullable(),
  hasLogin: z.boolean().openapi({ description: "Whether the contact can sign in to the portal" }),
  active: z.boolean(),
  customFields: z.record(z.string(), CustomValueSchema),
  lastLoginAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).openapi("Contact");

const Phone = z.string().trim().regex(/^[+0-9 ()-]{3,32}$/, "expected a phone number");

export const NewContactBody = z.strictObject({
  name: Name,
  email: Email,
  phone: Phone.nullable().optional(),
  customFields: CustomValuesBody.optional(),
});

export const ContactPatchBody = z.strictObject({
  name: Name.optional(),
  email: Email.optional(),
  phone: Phone.nullable().optional(),
  customFields: CustomValuesBody.optional(),
});

export const ListContactsQuery = PageQuery.extend({
  q: z.string().trim().min(1).max(200).optional().openapi({
    description: "Part of a name, email or phone number",
  }),
  field: FieldFilter.optional(),
  sort: z.enum(userSortFields).default("createdAt"),
  order: z.enum(["asc", "desc"]).default("desc"),
}).strict();

export const MergeBody = z.strictObject({
  otherId: z.string().min(1).max(64).openapi({
    description: "The contact that becomes part of this one and is then gone",
  }),
});

export const ContactIdParam = z.object({ id: z.string().min(1).max(64) });

export const ContactExportSchema = z.object({
  exportedAt: z.string(),
  contact: ContactSchema,
  queries: z.array(z.record(z.string(), z.unknown())),
  ratings: z.array(z.record(z.string(), z.unknown())),
  rooms: z.array(z.string()),
  messages: z.array(z.record(z.string(), z.unknown())),
  files: z.array(z.object({
    id: z.string(),
    name: z.string(),
    contentType: z.string(),
    size: z.number(),
    uploadedBy: z.string(),
    createdAt: z.string(),
    url: z.string(),
  })),
  mailThreads: z.array(z.record(z.string(), z.unknown())),
  notifications: z.array(z.record(z.string(), z.unknown())),
  calls: z.array(z.record(z.string(), z.unknown())),
  audit: z.array(z.record(z.string(), z.unknown())),
}).openapi("ContactExport");
