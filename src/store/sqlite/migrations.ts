import type { Db } from "./db.ts";
import { distinctTeamNames } from "@/modules/teams/model.ts";

/**
 * Versioned schema changes, applied once each in name order. Names are prefixed by the
 * capability that owns them (0001 core, 0100 identity, 0200 queries, 0300 chat, 0400 email,
 * 0500 reports, 0600 contacts); never edit an applied migration, add a new one.
 */
export const migrations: Migration[] = [
  {
    name: "0001_core",
    sql: `
      CREATE TABLE organizations (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        slug TEXT NOT NULL UNIQUE,
        active INTEGER NOT NULL,
        settings TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        organization_id TEXT REFERENCES organizations(id),
        name TEXT NOT NULL,
        email TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        phone TEXT,
        avatar_file_id TEXT,
        team TEXT,
        skills TEXT NOT NULL,
        max_concurrent_queries INTEGER NOT NULL,
        active INTEGER NOT NULL,
        availability TEXT NOT NULL,
        allowed_places TEXT NOT NULL,
        last_login_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX users_org_role ON users (organization_id, role, active);
    `,
  },
  {
    name: "0100_identity",
    sql: `
      CREATE TABLE audit_events (
        id TEXT PRIMARY KEY,
        org_id TEXT,
        action TEXT NOT NULL,
        actor_id TEXT,
        target_id TEXT,
        at TEXT NOT NULL,
        doc TEXT NOT NULL
      );
      CREATE INDEX audit_events_org_at ON audit_events (org_id, at);
      CREATE INDEX audit_events_at ON audit_events (at);
      CREATE TABLE login_attempts (
        id TEXT PRIMARY KEY,
        org_id TEXT,
        user_id TEXT,
        outcome TEXT NOT NULL,
        at TEXT NOT NULL,
        doc TEXT NOT NULL
      );
      CREATE INDEX login_attempts_org_at ON login_attempts (org_id, at);
      CREATE TABLE ip_rules (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL,
        value TEXT NOT NULL,
        created_at TEXT NOT NULL,
        doc TEXT NOT NULL,
        UNIQUE (org_id, value)
      );
      CREATE TABLE auth_secrets (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        user_id TEXT NOT NULL,
        org_id TEXT,
        hash TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        used_at TEXT,
        created_at TEXT NOT NULL
      );
      CREATE UNIQUE INDEX auth_secrets_hash ON auth_secrets (kind, hash);
      CREATE INDEX auth_secrets_user ON auth_secrets (kind, user_id, used_at, created_at);
    `,
  },
  {
    name: "0200_queries",
    sql: `
      CREATE TABLE queries (
        id TEXT PRIMARY KEY,
        doc TEXT NOT NULL,
        org_id TEXT GENERATED ALWAYS AS (json_extract(doc, '$.organizationId')) VIRTUAL,
        number INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.number')) VIRTUAL,
        status TEXT GENERATED ALWAYS AS (json_extract(doc, '$.status')) VIRTUAL,
        priority_rank INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.priorityRank')) VIRTUAL,
        assigned_to TEXT GENERATED ALWAYS AS (json_extract(doc, '$.assignedTo')) VIRTUAL,
        customer_id TEXT GENERATED ALWAYS AS (json_extract(doc, '$.customerId')) VIRTUAL,
        source TEXT GENERATED ALWAYS AS (json_extract(doc, '$.source')) VIRTUAL,
        team TEXT GENERATED ALWAYS AS (json_extract(doc, '$.team')) VIRTUAL,
        skill TEXT GENERATED ALWAYS AS (json_extract(doc, '$.skill')) VIRTUAL,
        created_at TEXT GENERATED ALWAYS AS (json_extract(doc, '$.createdAt')) VIRTUAL,
        updated_at TEXT GENERATED ALWAYS AS (json_extract(doc, '$.updatedAt')) VIRTUAL,
        assigned_at TEXT GENERATED ALWAYS AS (json_extract(doc, '$.assignedAt')) VIRTUAL,
        first_response_at TEXT GENERATED ALWAYS AS (json_extract(doc, '$.firstResponseAt')) VIRTUAL,
        first_response_due_at TEXT GENERATED ALWAYS AS (json_extract(doc, '$.firstResponseDueAt')) VIRTUAL,
        resolution_due_at TEXT GENERATED ALWAYS AS (json_extract(doc, '$.resolutionDueAt')) VIRTUAL,
        sla_paused_at TEXT GENERATED ALWAYS AS (json_extract(doc, '$.slaPausedAt')) VIRTUAL,
        first_response_warned_at TEXT GENERATED ALWAYS AS (json_extract(doc, '$.firstResponseWarnedAt')) VIRTUAL,
        resolution_warned_at TEXT GENERATED ALWAYS AS (json_extract(doc, '$.resolutionWarnedAt')) VIRTUAL,
        first_response_breached_at TEXT GENERATED ALWAYS AS (json_extract(doc, '$.firstResponseBreachedAt')) VIRTUAL,
        resolution_breached_at TEXT GENERATED ALWAYS AS (json_extract(doc, '$.resolutionBreachedAt')) VIRTUAL,
        breached INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.breached')) VIRTUAL
      );
      CREATE UNIQUE INDEX queries_org_number ON queries (org_id, number);
      CREATE INDEX queries_org_created ON queries (org_id, created_at, id);
      CREATE INDEX queries_org_status ON queries (org_id, status, created_at);
      CREATE INDEX queries_org_assignee ON queries (org_id, assigned_to, status, created_at);
      CREATE INDEX queries_org_customer ON queries (org_id, customer_id, created_at);
      CREATE INDEX queries_queue ON queries (org_id, status, assigned_to, priority_rank, created_at);
      CREATE INDEX queries_first_response_due ON queries (first_response_due_at);
      CREATE INDEX queries_resolution_due ON queries (resolution_due_at);
      CREATE INDEX queries_unanswered ON queries (status, first_response_at, assigned_at);
      CREATE TABLE query_history (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL,
        query_id TEXT NOT NULL,
        at TEXT NOT NULL,
        doc TEXT NOT NULL
      );
      CREATE INDEX query_history_query ON query_history (org_id, query_id, at, id);
      CREATE TABLE counters (
        org_id TEXT NOT NULL,
        name TEXT NOT NULL,
        value INTEGER NOT NULL,
        PRIMARY KEY (org_id, name)
      );
      CREATE TABLE agent_states (
        user_id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL,
        status TEXT NOT NULL,
        on_shift INTEGER NOT NULL,
        load INTEGER NOT NULL,
        last_assigned_at TEXT,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX agent_states_org ON agent_states (org_id, status, on_shift);
    `,
  },
  {
    name: "0201_documents",
    sql: `
      CREATE TABLE documents (
        collection TEXT NOT NULL,
        id TEXT NOT NULL,
        org_id TEXT NOT NULL,
        doc TEXT NOT NULL,
        user_id TEXT GENERATED ALWAYS AS (json_extract(doc, '$.userId')) VIRTUAL,
        created_at TEXT GENERATED ALWAYS AS (json_extract(doc, '$.createdAt')) VIRTUAL,
        PRIMARY KEY (collection, id)
      );
      CREATE INDEX documents_org ON documents (collection, org_id, created_at);
      CREATE INDEX documents_user ON documents (collection, org_id, user_id, created_at);
    `,
  },
  {
    name: "0300_chat",
    sql: `
      CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        doc TEXT NOT NULL,
        org_id TEXT GENERATED ALWAYS AS (json_extract(doc, '$.organizationId')) VIRTUAL,
        room_id TEXT GENERATED ALWAYS AS (json_extract(doc, '$.roomId')) VIRTUAL,
        seq INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.seq')) VIRTUAL,
        sender_id TEXT GENERATED ALWAYS AS (json_extract(doc, '$.senderId')) VIRTUAL,
        client_message_id TEXT GENERATED ALWAYS AS (json_extract(doc, '$.clientMessageId')) VIRTUAL
      );
      CREATE UNIQUE INDEX messages_room_seq ON messages (room_id, seq);
      CREATE UNIQUE INDEX messages_client_id ON messages (room_id, sender_id, client_message_id);
    `,
  },
  {
    name: "0500_reports",
    sql: `
      ALTER TABLE queries ADD COLUMN resolved_at TEXT
        GENERATED ALWAYS AS (json_extract(doc, '$.resolvedAt')) VIRTUAL;
      ALTER TABLE queries ADD COLUMN csat_rated_at TEXT
        GENERATED ALWAYS AS (json_extract(doc, '$.csat.ratedAt')) VIRTUAL;
      CREATE INDEX queries_org_first_response ON queries (org_id, first_response_at);
      CREATE INDEX queries_org_resolved ON queries (org_id, resolved_at);
      CREATE INDEX queries_org_csat ON queries (org_id, csat_rated_at);
      CREATE INDEX queries_org_first_response_breach ON queries (org_id, first_response_breached_at);
      CREATE INDEX queries_org_resolution_breach ON queries (org_id, resolution_breached_at);
      CREATE INDEX query_history_org_at ON query_history (org_id, at);
    `,
  },
  {
    name: "0202_query_list_indexes",
    sql: `
      CREATE INDEX queries_org_breached ON queries (org_id, breached, priority_rank, created_at);
      CREATE INDEX queries_org_priority ON queries (org_id, priority_rank, created_at);
    `,
  },
  {
    name: "0203_query_search",
    sql: `
      CREATE TABLE query_tags (
        org_id TEXT NOT NULL,
        tag TEXT NOT NULL,
        query_id TEXT NOT NULL,
        PRIMARY KEY (org_id, tag, query_id)
      ) WITHOUT ROWID;
      CREATE VIRTUAL TABLE query_search USING fts5(body, tokenize = 'trigram');
      INSERT INTO query_tags (org_id, tag, query_id)
        SELECT q.org_id, t.value, q.id FROM queries q, json_each(q.doc, '$.tags') t;
      INSERT INTO query_search (rowid, body)
        SELECT rowid, json_extract(doc, '$.reference') || ' ' || json_extract(doc, '$.title') || ' ' ||
          json_extract(doc, '$.description') FROM queries;
      CREATE TRIGGER queries_indexed_insert AFTER INSERT ON queries BEGIN
        INSERT INTO query_tags (org_id, tag, query_id)
          SELECT new.org_id, value, new.id FROM json_each(new.doc, '$.tags');
        INSERT INTO query_search (rowid, body) VALUES (new.rowid, json_extract(new.doc, '$.reference') || ' ' || json_extract(new.doc, '$.title') || ' ' ||
          json_extract(new.doc, '$.description'));
      END;
      CREATE TRIGGER queries_indexed_update AFTER UPDATE OF doc ON queries
        WHEN json_extract(old.doc, '$.tags') IS NOT json_extract(new.doc, '$.tags')
          OR json_extract(old.doc, '$.title') IS NOT json_extract(new.doc, '$.title')
          OR json_extract(old.doc, '$.description') IS NOT json_extract(new.doc, '$.description')
      BEGIN
        DELETE FROM query_tags WHERE org_id = old.org_id AND query_id = old.id;
        INSERT INTO query_tags (org_id, tag, query_id)
          SELECT new.org_id, value, new.id FROM json_each(new.doc, '$.tags');
        DELETE FROM query_search WHERE rowid = old.rowid;
        INSERT INTO query_search (rowid, body) VALUES (new.rowid, json_extract(new.doc, '$.reference') || ' ' || json_extract(new.doc, '$.title') || ' ' ||
          json_extract(new.doc, '$.description'));
      END;
    `,
  },
  {
    name: "0204_query_priority_status_index",
    sql: `
      CREATE INDEX queries_org_priority_status
        ON queries (org_id, priority_rank, status, created_at);
    `,
  },
  {
    name: "0101_sessions",
    sql: `
      ALTER TABLE auth_secrets ADD COLUMN session_id TEXT;
      CREATE INDEX auth_secrets_session ON auth_secrets (session_id);
      CREATE TABLE revocations (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        user_id TEXT NOT NULL,
        session_id TEXT,
        at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE INDEX revocations_user ON revocations (user_id, expires_at);
      CREATE INDEX revocations_expiry ON revocations (expires_at);
    `,
  },
  {
    // Customers become contacts of one organization: an email is unique within its
    // organization (the SuperAdmins count as one), and a contact may have no password. The
    // `local+ORGID@domain` logins that mail import made get back their real address.
    name: "0600_contacts",
    sql: `
      CREATE TABLE users_by_org (
        id TEXT PRIMARY KEY,
        organization_id TEXT REFERENCES organizations(id),
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        password_hash TEXT,
        role TEXT NOT NULL,
        phone TEXT,
        avatar_file_id TEXT,
        team TEXT,
        skills TEXT NOT NULL,
        max_concurrent_queries INTEGER NOT NULL,
        active INTEGER NOT NULL,
        availability TEXT NOT NULL,
        allowed_places TEXT NOT NULL,
        last_login_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      INSERT INTO users_by_org SELECT id, organization_id, name, email, password_hash, role, phone,
        avatar_file_id, team, skills, max_concurrent_queries, active, availability,
        allowed_places, last_login_at, created_at, updated_at FROM users;
      DROP TABLE users;
      ALTER TABLE users_by_org RENAME TO users;
      CREATE INDEX users_org_role ON users (organization_id, role, active);
      CREATE UNIQUE INDEX users_org_email ON users (ifnull(organization_id, ''), email);
      CREATE INDEX users_email_login ON users (email, last_login_at);
      UPDATE users AS u
        SET email = substr(u.email, 1, instr(u.email, '+' || u.organization_id || '@') - 1) ||
          substr(u.email, instr(u.email, '+' || u.organization_id || '@') + 1 +
            length(u.organization_id))
        WHERE u.role = 'Customer' AND u.organization_id IS NOT NULL
          AND instr(u.email, '+' || u.organization_id || '@') > 1
          AND NOT EXISTS (
            SELECT 1 FROM users AS o WHERE o.organization_id = u.organization_id
              AND o.email = substr(u.email, 1, instr(u.email, '+' || u.organization_id || '@') - 1)
                || substr(u.email, instr(u.email, '+' || u.organization_id || '@') + 1 +
                  length(u.organization_id))
          );
    `,
  },
  {
    name: "0601_contact_fields",
    sql: `
      ALTER TABLE users ADD COLUMN custom_fields TEXT NOT NULL DEFAULT '{}';
      ALTER TABLE users ADD COLUMN merged_into TEXT;
      CREATE INDEX messages_org_sender ON messages (org_id, sender_id);
    `,
  },
  {
    name: "0800_message_notes",
    sql: `
      ALTER TABLE messages ADD COLUMN type TEXT
        GENERATED ALWAYS AS (json_extract(doc, '$.type')) VIRTUAL;
      ALTER TABLE messages ADD COLUMN customer_seq INTEGER
        GENERATED ALWAYS AS (coalesce(json_extract(doc, '$.customerSeq'), json_extract(doc, '$.seq'))) VIRTUAL;
      CREATE INDEX messages_room_customer_seq ON messages (room_id, customer_seq);
    `,
  },
  {
    // Labels, an organization's set; each distinct tag (by case) of its queries becomes one, and
    // every query carries the ids of its tags' labels. Ids are UUIDv7 like the app's.
    name: "0800_labels",
    sql: `
      CREATE TABLE labels (
        id TEXT PRIMARY KEY,
        doc TEXT NOT NULL,
        org_id TEXT GENERATED ALWAYS AS (json_extract(doc, '$.organizationId')) VIRTUAL,
        name_key TEXT GENERATED ALWAYS AS (lower(json_extract(doc, '$.name'))) VIRTUAL
      );
      CREATE UNIQUE INDEX labels_org_name ON labels (org_id, name_key);
      CREATE TEMP TABLE tag_labels AS
        SELECT org_id, min(tag) AS name, lower(tag) AS name_key, lower(
          substr(printf('%012x', CAST(unixepoch('subsec') * 1000 AS INTEGER)), 1, 8) || '-' ||
          substr(printf('%012x', CAST(unixepoch('subsec') * 1000 AS INTEGER)), 9, 4) || '-7' ||
          substr(hex(randomblob(2)), 2, 3) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) ||
          substr(hex(randomblob(2)), 2, 3) || '-' || hex(randomblob(6))
        ) AS id,
          strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at
        FROM query_tags GROUP BY org_id, lower(tag);
      INSERT INTO labels (id, doc)
        SELECT id, json_object('id', id, 'organizationId', org_id, 'name', name,
          'color', '#6b7280', 'description', '', 'createdAt', at, 'updatedAt', at)
        FROM tag_labels;
      UPDATE queries SET doc = json_set(doc, '$.labels', json((
        SELECT json_group_array(id) FROM (
          SELECT DISTINCT l.id FROM json_each(queries.doc, '$.tags') t
            JOIN tag_labels l ON l.org_id = queries.org_id AND l.name_key = lower(t.value)
        )
      )));
      DROP TABLE tag_labels;
      CREATE TABLE query_labels (
        org_id TEXT NOT NULL,
        label_id TEXT NOT NULL,
        query_id TEXT NOT NULL,
        PRIMARY KEY (org_id, label_id, query_id)
      ) WITHOUT ROWID;
      INSERT INTO query_labels (org_id, label_id, query_id)
        SELECT q.org_id, l.value, q.id FROM queries q, json_each(q.doc, '$.labels') l;
      CREATE TRIGGER queries_labels_insert AFTER INSERT ON queries BEGIN
        INSERT OR IGNORE INTO query_labels (org_id, label_id, query_id)
          SELECT new.org_id, value, new.id FROM json_each(new.doc, '$.labels');
      END;
      CREATE TRIGGER queries_labels_update AFTER UPDATE OF doc ON queries
        WHEN json_extract(old.doc, '$.labels') IS NOT json_extract(new.doc, '$.labels')
      BEGIN
        DELETE FROM query_labels WHERE org_id = old.org_id AND query_id = old.id;
        INSERT OR IGNORE INTO query_labels (org_id, label_id, query_id)
          SELECT new.org_id, value, new.id FROM json_each(new.doc, '$.labels');
      END;
    `,
  },
  {
    name: "0602_contact_labels",
    sql: `
      ALTER TABLE users ADD COLUMN labels TEXT NOT NULL DEFAULT '[]';
    `,
  },
  {
    name: "0700_webhook_deliveries_due",
    sql: `
      CREATE INDEX documents_due ON documents (
        collection, org_id, json_extract(doc, '$.status'), json_extract(doc, '$.nextAttemptAt')
      );
    `,
  },
  {
    // Today's free-text teams (of staff and of queries) become the organizations' teams, one per
    // name whatever its case: staff become their members, queries carry the team's id.
    name: "0810_teams",
    sql: `
      CREATE TEMP TABLE team_names AS
        SELECT org_id, min(name) AS name, lower(name) AS name_key, lower(
          substr(printf('%012x', CAST(unixepoch('subsec') * 1000 AS INTEGER)), 1, 8) || '-' ||
          substr(printf('%012x', CAST(unixepoch('subsec') * 1000 AS INTEGER)), 9, 4) || '-7' ||
          substr(hex(randomblob(2)), 2, 3) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) ||
          substr(hex(randomblob(2)), 2, 3) || '-' || hex(randomblob(6))
        ) AS id,
          strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at
        FROM (
          SELECT organization_id AS org_id, team AS name FROM users
            WHERE organization_id IS NOT NULL AND role <> 'Customer' AND team IS NOT NULL
              AND team <> ''
          UNION ALL
          SELECT org_id, team FROM queries WHERE team IS NOT NULL AND team <> ''
        ) GROUP BY org_id, lower(name);
      INSERT INTO documents (collection, id, org_id, doc)
        SELECT 'teams', t.id, t.org_id, json_object('id', t.id, 'organizationId', t.org_id,
          'name', t.name, 'description', '', 'members', json((
            SELECT json_group_array(u.id) FROM users u
              WHERE u.organization_id = t.org_id AND u.role <> 'Customer'
                AND lower(u.team) = t.name_key
          )), 'createdAt', t.at, 'updatedAt', t.at)
        FROM team_names t;
      UPDATE queries SET doc = json_set(doc, '$.team', (
          SELECT t.id FROM team_names t
            WHERE t.org_id = queries.org_id AND t.name_key = lower(queries.team)
        ))
        WHERE team IS NOT NULL AND team <> '';
      DROP TABLE team_names;
    `,
  },
  {
    // Message search: a trigram index of every message's text beside its organization, room and
    // whether it is a note (kept by triggers, also when mail import or erasure rewrites a text).
    name: "0810_message_search",
    sql: `
      CREATE VIRTUAL TABLE message_search USING fts5(
        body, org_id UNINDEXED, room_id UNINDEXED, note UNINDEXED, tokenize = 'trigram'
      );
      INSERT INTO message_search (rowid, body, org_id, room_id, note)
        SELECT rowid, json_extract(doc, '$.text'), org_id, room_id,
          json_extract(doc, '$.type') IS 'note' FROM messages;
      CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
        INSERT INTO message_search (rowid, body, org_id, room_id, note) VALUES (new.rowid,
          json_extract(new.doc, '$.text'), new.org_id, new.room_id,
          json_extract(new.doc, '$.type') IS 'note');
      END;
      CREATE TRIGGER messages_search_update AFTER UPDATE OF doc ON messages
        WHEN json_extract(old.doc, '$.text') IS NOT json_extract(new.doc, '$.text')
      BEGIN
        UPDATE message_search SET body = json_extract(new.doc, '$.text') WHERE rowid = new.rowid;
      END;
      CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
        DELETE FROM message_search WHERE rowid = old.rowid;
      END;
    `,
  },
  {
    name: "0205_agent_reconnect_grace",
    sql: `
      ALTER TABLE agent_states ADD COLUMN dropped_at TEXT;
      ALTER TABLE agent_states ADD COLUMN status_before_drop TEXT;
    `,
  },
  {
    // Team names become unique by a unique index on their name key (the name trimmed, in
    // Unicode lower case), not by a read before the write: each team gets its key first, and a
    // later team whose name an earlier one already took is renamed "Name (2)".
    name: "0820_team_name_keys",
    up: teamNameKeys,
    sql: `
      CREATE UNIQUE INDEX documents_team_name ON documents (
        org_id, json_extract(doc, '$.nameKey')
      ) WHERE collection = 'teams';
    `,
  },
  {
    // A list by one tag or label is counted on its link table, so the tables hold exactly the
    // queries there are: a deleted query takes its rows with it (and its search entry).
    name: "0840_query_links_delete",
    sql: `
      DELETE FROM query_tags WHERE query_id NOT IN (SELECT id FROM queries);
      DELETE FROM query_labels WHERE query_id NOT IN (SELECT id FROM queries);
      CREATE TRIGGER queries_links_delete AFTER DELETE ON queries BEGIN
        DELETE FROM query_tags WHERE org_id = old.org_id AND query_id = old.id;
        DELETE FROM query_labels WHERE org_id = old.org_id AND query_id = old.id;
        DELETE FROM query_search WHERE rowid = old.rowid;
      END;
    `,
  },
  {
    // Message search indexed after the write: the trigram index was half of a message's write
    // under the file's write lock (p50 183 µs with it, 79 without), which every instance on the
    // file waits for. New messages are indexed in batches (searchIndexer in messages.ts); until
    // then, search reads them past the watermark. Messages are never deleted, so rowids only grow.
    name: "0850_message_search_deferred",
    sql: `
      DROP TRIGGER messages_search_insert;
      CREATE TABLE message_search_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        indexed_rowid INTEGER NOT NULL
      );
      INSERT INTO message_search_state (id, indexed_rowid)
        SELECT 1, COALESCE(max(rowid), 0) FROM messages;
    `,
  },
  {
    // Read positions in a table of their own: two are written per chat message (the sender's
    // with the message, the reader's receipt), and in `documents` each write kept four b-trees
    // (the rows, the key, two indexes on fields read positions never use). On a file another
    // instance writes to, every b-tree touched is read again from the OS after that write: a
    // receipt's write took about 100 µs between another connection's writes, 50 here.
    // The columns the documents adapter reads and writes (so it serves this table by name),
    // without the generated ones that only fed `documents`' indexes; only the key is indexed.
    name: "0860_room_reads_table",
    sql: `
      CREATE TABLE room_reads (
        collection TEXT NOT NULL,
        id TEXT NOT NULL,
        org_id TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (collection, id)
      ) WITHOUT ROWID;
      INSERT INTO room_reads (collection, id, org_id, doc)
        SELECT collection, id, org_id, doc FROM documents WHERE collection = 'room_reads';
      DELETE FROM documents WHERE collection = 'room_reads';
    `,
  },
];

/** One schema change; `up`, when given, runs first, in the same transaction as `sql`. */
export interface Migration {
  name: string;
  sql: string;
  up?: (db: Db) => void;
}

function teamNameKeys(db: Db): void {
  const rows = db.prepare(
    `SELECT org_id, id, json_extract(doc, '$.name') AS name FROM documents
      WHERE collection = 'teams' ORDER BY org_id, json_extract(doc, '$.createdAt'), id`,
  ).all() as { org_id: string; id: string; name: string }[];
  const set = db.prepare(
    `UPDATE documents SET doc = json_set(doc, '$.name', ?, '$.nameKey', ?)
      WHERE collection = 'teams' AND id = ?`,
  );
  for (const orgId of new Set(rows.map((r) => r.org_id))) {
    const names = distinctTeamNames(rows.filter((r) => r.org_id === orgId));
    for (const [id, { name, nameKey }] of names) set.run(name, nameKey, id);
  }
}
