import { uuidv7 } from "@/ids.ts";
import {
  defaultOrganizationSettings,
  type Organization,
} from "@/modules/organizations/repository.ts";
import type { User } from "@/modules/users/repository.ts";
import { priorityRank, type Query, queryReference } from "@/modules/queries/model.ts";
import type { Message } from "@/modules/chat/repository.ts";

let clock = Date.parse("2026-01-01T00:00:00.000Z");

/** A distinct ISO time per call, increasing, so sort orders are predictable. */
export function nextTime(): string {
  clock += 1000;
  return new Date(clock).toISOString();
}

export function anOrganization(overrides: Partial<Organization> = {}): Organization {
  const now = nextTime();
  const id = uuidv7();
  return {
    id,
    name: "Acme Support",
    slug: `acme-${id.slice(-8)}`,
    active: true,
    settings: defaultOrganizationSettings(),
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

export function aUser(organizationId: string | null, overrides: Partial<User> = {}): User {
  const now = nextTime();
  const id = uuidv7();
  return {
    id,
    organizationId,
    name: "Ada Agent",
    email: `user-${id.slice(-12)}@example.com`,
    passwordHash: "$2b$04$notarealhashnotarealhashnotarealhashnotarealha",
    role: "Agent",
    phone: null,
    avatarFileId: null,
    team: null,
    skills: [],
    maxConcurrentQueries: 5,
    active: true,
    availability: "offline",
    allowedPlaces: [],
    lastLoginAt: null,
    customFields: {},
    labels: [],
    mergedInto: null,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

let queryNumber = 0;

/** A waiting query (Open, unassigned) with no SLA targets. */
export function aQuery(organizationId: string, overrides: Partial<Query> = {}): Query {
  const now = nextTime();
  const number = ++queryNumber;
  return {
    id: uuidv7(),
    organizationId,
    number,
    reference: queryReference(number),
    title: "Cannot log in",
    description: "The login page says my password is wrong",
    status: "Open",
    priority: "Medium",
    priorityRank: priorityRank.Medium,
    source: "Chat",
    customerId: "customer-1",
    assignedTo: null,
    team: null,
    skill: null,
    tags: [],
    labels: [],
    roomId: null,
    waitingOn: "agent",
    createdBy: "customer-1",
    createdAt: now,
    updatedAt: now,
    assignedAt: null,
    firstResponseAt: null,
    resolvedAt: null,
    closedAt: null,
    firstResponseDueAt: null,
    resolutionDueAt: null,
    slaPausedAt: null,
    firstResponseWarnedAt: null,
    resolutionWarnedAt: null,
    firstResponseBreachedAt: null,
    resolutionBreachedAt: null,
    breached: false,
    csat: null,
    customFields: {},
    ...overrides,
  };
}

/** A message as `messages.append` takes it (no seq yet), in organization "o1". */
export function aNewMessage(
  roomId: string,
  text: string,
  overrides: Partial<Omit<Message, "seq" | "customerSeq">> = {},
): Omit<Message, "seq" | "customerSeq"> {
  const id = uuidv7();
  return {
    id,
    organizationId: "o1",
    roomId,
    senderId: "u1",
    senderRole: "Customer",
    type: "text",
    text,
    fileId: null,
    clientMessageId: id,
    email: null,
    createdAt: new Date().toISOString(),
    ...overrides,
  };
}
