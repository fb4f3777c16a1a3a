/**
 * Versioned schema changes, applied once each in name order. Names are prefixed by the
 * capability that owns them (0001 core, 0100 identity, 0200 queries, 0300 chat, 0400 email,
 * 0500 reports); never edit an applied migration, add a new one.
 */
export const migrations: { name: string; sql: string }[] = [
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
];
