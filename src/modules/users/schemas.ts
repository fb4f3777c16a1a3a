import { z } from "@hono/zod-openapi";
import { roles } from "./repository.ts";
import { textLine } from "@/modules/text.ts";

export const PlaceSchema = z.object({
  id: z.string(),
  name: z.string(),
  latitude: z.number(),
  longitude: z.number(),
  radiusMeters: z.number(),
}).openapi("AllowedPlace");

/** A user as every endpoint shows it: never a password hash. */
export const UserSchema = z.object({
  id: z.string(),
  organizationId: z.string().nullable(),
  name: z.string(),
  email: z.string(),
  role: z.enum(roles),
  phone: z.string().nullable(),
  avatarFileId: z.string().nullable(),
  team: z.string().nullable(),
  skills: z.array(z.object({ name: z.string(), level: z.number() })),
  maxConcurrentQueries: z.number(),
  active: z.boolean(),
  availability: z.enum(["online", "away", "offline"]),
  allowedPlaces: z.array(PlaceSchema),
  lastLoginAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).openapi("User");

/** Passwords: 8 to 72 characters (bcrypt reads at most 72 bytes). */
export const Password = z.string().min(8, "expected at least 8 characters").max(
  72,
  "expected at most 72 characters",
);
export const Email = z.email().max(254).transform((e) => e.toLowerCase());
export const Name = textLine(120);
export const Latitude = z.number().min(-90).max(90);
export const Longitude = z.number().min(-180).max(180);
