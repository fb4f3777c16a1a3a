import { z } from "@hono/zod-openapi";
import { passwordProblem, passwordRules } from "@/modules/auth/password_policy.ts";
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

/**
 * A new password, as the password policy allows it (see `passwordProblem`): 12 to 128
 * characters, not common, breached or easy to guess. Asynchronous: parse it with `parseAsync`.
 */
export const Password = z.string().max(1024).superRefine(async (value, ctx) => {
  const problem = await passwordProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
}).openapi({
  minLength: passwordRules.minLength,
  maxLength: passwordRules.maxLength,
  description: `${passwordRules.minLength} to ${passwordRules.maxLength} characters (a run of ` +
    "spaces counts as one); common, breached and easily guessed passwords are refused",
});
export const Email = z.email().max(254).transform((e) => e.toLowerCase());
export const Name = textLine(120);
export const Latitude = z.number().min(-90).max(90);
export const Longitude = z.number().min(-180).max(180);
