import { MongoClient } from "mongodb";
import type { Store } from "@/store/store.ts";
import { ensureOrganizationIndexes, mongoOrganizationRepository } from "./organizations.ts";
import { ensureUserIndexes, mongoUserRepository } from "./users.ts";
import { ensureAuditIndexes, mongoAuditRepository } from "./audit.ts";
import {
  ensureAccessIndexes,
  mongoIpRuleRepository,
  mongoLoginAttemptRepository,
} from "./access.ts";
import { ensureAuthSecretIndexes, mongoAuthSecretRepository } from "./auth_secrets.ts";
import { ensureRevocationIndexes, mongoRevocationRepository } from "./revocations.ts";
import {
  ensureQueryIndexes,
  mongoCounterRepository,
  mongoQueryHistoryRepository,
  mongoQueryRepository,
} from "./queries.ts";
import { mongoAgentStateRepository } from "./agent_states.ts";
import { mongoDocuments } from "./documents.ts";
import { ensureMessageIndexes, mongoMessageRepository } from "./messages.ts";
import { documentCollections } from "@/store/documents.ts";
import { ensureReportIndexes, mongoReportRepository } from "./reports.ts";
import { ensureLabelIndexes, mongoLabelRepository } from "./labels.ts";
import { ensureWebhookIndexes } from "./webhooks.ts";
import { ensureTeamIndexes } from "./teams.ts";
import { migrateMongo } from "./migrations.ts";
import { gridFsFileStore } from "./files.ts";

/** Collections and unique indexes each repository needs, ensured at start. */
const ensureIndexes = [
  ensureOrganizationIndexes,
  ensureUserIndexes,
  ensureAuditIndexes,
  ensureAccessIndexes,
  ensureAuthSecretIndexes,
  ensureRevocationIndexes,
  ensureQueryIndexes,
  ensureLabelIndexes,
  ensureMessageIndexes,
  ensureReportIndexes,
  ensureWebhookIndexes,
  ensureTeamIndexes,
];

/** The production store: MongoDB through the official driver. */
export async function openMongoStore(uri: string, dbName?: string): Promise<Store> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: 5000,
    connectTimeoutMS: 5000,
    ignoreUndefined: true,
  });
  await client.connect();
  const db = client.db(dbName ?? databaseInUri(uri) ?? "chatcrm");
  await migrateMongo(db);
  for (const ensure of ensureIndexes) await ensure(db);
  for (const name of documentCollections) {
    await db.collection(name).createIndex({ organizationId: 1, userId: 1, createdAt: 1 });
  }
  return {
    kind: "mongo",
    files: gridFsFileStore(db),
    organizations: mongoOrganizationRepository(db),
    users: mongoUserRepository(db),
    audit: mongoAuditRepository(db),
    loginAttempts: mongoLoginAttemptRepository(db),
    ipRules: mongoIpRuleRepository(db),
    authSecrets: mongoAuthSecretRepository(db),
    revocations: mongoRevocationRepository(db),
    counters: mongoCounterRepository(db),
    queries: mongoQueryRepository(db),
    queryHistory: mongoQueryHistoryRepository(db),
    agentStates: mongoAgentStateRepository(db),
    documents: (name) => mongoDocuments(db, name),
    messages: mongoMessageRepository(db),
    reports: mongoReportRepository(db),
    labels: mongoLabelRepository(db),
    async ping() {
      await db.command({ ping: 1 });
    },
    async close() {
      await client.close();
    },
  };
}

/** The database named in the URI's path (`mongodb://host/NAME?...`), if any. */
export function databaseInUri(uri: string): string | undefined {
  const name = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]+)/.exec(uri)?.[1];
  return name ? decodeURIComponent(name) : undefined;
}
