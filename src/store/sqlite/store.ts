import type { Store } from "@/store/store.ts";
import { openSqlite, prepared } from "./db.ts";
import { sqliteOrganizationRepository } from "./organizations.ts";
import { sqliteUserRepository } from "./users.ts";
import { sqliteAuditRepository } from "./audit.ts";
import { sqliteIpRuleRepository, sqliteLoginAttemptRepository } from "./access.ts";
import { sqliteAuthSecretRepository } from "./auth_secrets.ts";
import { sqliteRevocationRepository } from "./revocations.ts";
import {
  sqliteCounterRepository,
  sqliteQueryHistoryRepository,
  sqliteQueryRepository,
} from "./queries.ts";
import { sqliteAgentStateRepository } from "./agent_states.ts";
import { sqliteDocuments } from "./documents.ts";
import { searchIndexing, sqliteMessageRepository } from "./messages.ts";
import { sqliteReportRepository } from "./reports.ts";
import { sqliteLabelRepository } from "./labels.ts";
import { backgroundCheckpoints } from "./checkpointer.ts";

/** The embedded store: one SQLite file (or ":memory:"), migrated on open. */
export function openSqliteStore(path: string): Store {
  const db = openSqlite(path);
  const messages = sqliteMessageRepository(db);
  const checkpoints = backgroundCheckpoints(db, path);
  const search = searchIndexing(db);
  return {
    kind: "sqlite",
    organizations: sqliteOrganizationRepository(db),
    users: sqliteUserRepository(db),
    audit: sqliteAuditRepository(db),
    loginAttempts: sqliteLoginAttemptRepository(db),
    ipRules: sqliteIpRuleRepository(db),
    authSecrets: sqliteAuthSecretRepository(db),
    revocations: sqliteRevocationRepository(db),
    counters: sqliteCounterRepository(db),
    queries: sqliteQueryRepository(db),
    queryHistory: sqliteQueryHistoryRepository(db),
    agentStates: sqliteAgentStateRepository(db),
    documents: (name) => sqliteDocuments(db, name),
    messages: {
      ...messages,
      async append(message, options) {
        checkpoints.written();
        const stored = await messages.append(message, options);
        search.soon();
        return stored;
      },
      async insert(message) {
        const stored = await messages.insert(message);
        search.soon();
        return stored;
      },
    },
    reports: sqliteReportRepository(db),
    labels: sqliteLabelRepository(db),
    startBackground() {
      checkpoints.start();
      void search.catchUp();
    },
    ping() {
      prepared(db, "SELECT 1").get();
      return Promise.resolve();
    },
    close() {
      search.stop();
      checkpoints.stop();
      if (db.isOpen) db.close();
      return Promise.resolve();
    },
  };
}
