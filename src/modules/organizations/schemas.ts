import { z } from "@hono/zod-openapi";
import { roles } from "@/modules/users/repository.ts";
import { Latitude, Longitude, Name, PlaceSchema } from "@/modules/users/schemas.ts";

export const Slug = z.string().regex(
  /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/,
  "expected lower-case letters, digits and dashes",
);
export const Timezone = z.string().min(1).max(64).refine((tz) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, "expected an IANA time zone such as Europe/Paris");

export const LocationAccessSchema = z.object({
  enforce: z.boolean(),
  defaultRadiusMeters: z.number(),
  roles: z.array(z.enum(roles)),
  places: z.array(PlaceSchema),
}).openapi("LoginLocationAccess");

export const OrganizationSchema = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  active: z.boolean(),
  settings: z.object({ timezone: z.string(), loginLocationAccess: LocationAccessSchema })
    .catchall(z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
}).openapi("Organization");

export const Radius = z.number().int().min(10).max(10_000);

export const PlaceInput = z.strictObject({
  name: Name,
  latitude: Latitude,
  longitude: Longitude,
  radiusMeters: Radius.optional(),
});

/** Body of the location-access toggle: without `enforce`, enforcement flips. */
export const LocationAccessPatch = z.strictObject({
  enforce: z.boolean().optional(),
  defaultRadiusMeters: Radius.optional(),
  roles: z.array(z.enum(["Admin", "TL", "QA", "Agent", "Customer"])).max(5).optional(),
  places: z.array(PlaceInput).max(100).optional(),
});

export const IdParam = z.object({ id: z.string().min(1).max(64) });
export const OrgIdParam = z.object({ orgId: z.string().min(1).max(64) });
