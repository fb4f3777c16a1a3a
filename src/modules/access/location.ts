import type { AllowedPlace, LoginLocationAccess } from "@/modules/organizations/repository.ts";
import type { User } from "@/modules/users/repository.ts";

const earthRadiusMeters = 6_371_008.8;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in meters between two points (haversine). */
export function haversineMeters(
  a: { latitude: number; longitude: number },
  b: { latitude: number; longitude: number },
): number {
  const dLat = rad(b.latitude - a.latitude);
  const dLon = rad(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 +
    Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * earthRadiusMeters * Math.asin(Math.min(1, Math.sqrt(h)));
}

export interface Position {
  latitude: number;
  longitude: number;
}

/** What the location policy says about one user at one position. */
export type LocationVerdict =
  | { required: false }
  | { required: true; allowed: false; reason: "LOCATION_REQUIRED" }
  | {
    required: true;
    allowed: boolean;
    reason: "LOCATION_DENIED" | null;
    distanceMeters: number | null;
    place: AllowedPlace | null;
  };

/**
 * The login location policy: when the organization enforces it for the user's role, the
 * position must lie within the radius of one allowed place, the organization's or the user's own.
 */
export function checkLocation(
  policy: LoginLocationAccess,
  user: Pick<User, "role" | "allowedPlaces">,
  position: Position | null,
): LocationVerdict {
  if (!policy.enforce || !policy.roles.includes(user.role)) return { required: false };
  if (!position) return { required: true, allowed: false, reason: "LOCATION_REQUIRED" };
  let nearest: { place: AllowedPlace; distance: number } | null = null;
  let inside: { place: AllowedPlace; distance: number } | null = null;
  for (const place of [...policy.places, ...user.allowedPlaces]) {
    const distance = haversineMeters(position, place);
    if (!nearest || distance < nearest.distance) nearest = { place, distance };
    const radius = place.radiusMeters || policy.defaultRadiusMeters;
    if (distance <= radius && (!inside || distance < inside.distance)) inside = { place, distance };
  }
  const hit = inside ?? nearest;
  return {
    required: true,
    allowed: inside !== null,
    reason: inside ? null : "LOCATION_DENIED",
    distanceMeters: hit ? Math.round(hit.distance * 10) / 10 : null,
    place: hit?.place ?? null,
  };
}
