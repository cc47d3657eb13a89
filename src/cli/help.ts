import type { Command } from './options.js';

/** What `sitepub --help` and `sitepub <command> --help` print; one text per command in options.ts. */
export const HELP: { readonly [C in Command | 'main']: string } = {
  main: `sitepub: self-hosted website publishing for AI assistants

Usage: sitepub <command> [options]

Commands:
  serve            the platform over HTTP: MCP at /mcp, REST, download links, sites
  mcp              the MCP server over stdio (for Claude Desktop, Cursor, VS Code...)
  project create   create a project and its API token
  project list     list projects
  project quota    show or set a project's storage quota
  token create     create an API token for a project
  token revoke     revoke an API token by id, token or prefix
  token list       list API tokens (ids and prefixes only)
  owner create     create an owner account (a person who signs in to the dashboard)
  owner login-link  print a one-time sign-in link for an owner (valid 15 minutes)
  migrate          apply database migrations and exit
  export           write all data as JSON lines (to move between SQLite and PostgreSQL)
  import           load an export into an empty database

Run "sitepub <command> --help" for the options of a command.
Environment: PORT, HOST, SITEPUB_DATA, SITEPUB_PUBLIC_URL, SITEPUB_SITE_DOMAIN, DATABASE_URL, SITEPUB_PROJECT,
SITEPUB_STORAGE_QUOTA_MB (default per-project storage quota, 1024; 0 = unlimited),
SITEPUB_MAX_PRIVATE_BYTES (largest private file for sale, default 500MB).`,
  serve: `Usage: sitepub serve [--port 8787] [--host 127.0.0.1] [--data ./data] [--workers N] [--toolsets pages,assets,downloads] [--read-only]

Serves MCP (Streamable HTTP) at /mcp, REST at /papi and /iapi, download links at /d/{token},
and every project's site at http://{subdomain}.{SITEPUB_SITE_DOMAIN}:{port}/.
On an empty data folder it creates a first project and prints its token once.
--workers N runs N processes on the port (one per core is a good start).`,
  mcp: `Usage: sitepub mcp [--data ./data] [--project ID] [--toolsets pages,assets,downloads] [--read-only] [--allow-dir DIR ...]

Runs the MCP server over stdio. Logs go to stderr. Acts as the local operator: every project
in the data folder is reachable; --project (or SITEPUB_PROJECT) sets the default one.
--allow-dir DIR (repeatable) lets assets_upload read files by path (file_path) inside DIR, besides
the client's MCP roots; nothing outside them is read, symlinks resolved first.`,
  'project create': `Usage: sitepub project create --name NAME [--subdomain SUB] [--json] [--data ./data]

Creates a project and a project API token (shown once). --json prints
{"project_id","domain","url","token"}.`,
  'project list': 'Usage: sitepub project list [--json] [--data ./data]',
  'project quota': `Usage: sitepub project quota --project ID [--mb N | --default] [--json] [--data ./data]

Shows a project's storage use and quota. --mb N sets its own quota in megabytes (0 = unlimited);
--default returns it to the server's default (SITEPUB_STORAGE_QUOTA_MB, 1024 unless set).`,
  'token create': `Usage: sitepub token create (--project ID | --account) [--read-only] [--json] [--data ./data]

Creates an API token (shown once; only its hash is stored). A project token works on one
project; an account token (--account) works on every project and may create projects.
--read-only tokens can only read, and MCP clients using them see only the read-only tools.`,
  'token revoke': 'Usage: sitepub token revoke TOKEN_PREFIX_OR_ID [--data ./data]',
  'token list': 'Usage: sitepub token list [--project ID] [--json] [--data ./data]',
  'owner create': `Usage: sitepub owner create --email EMAIL [--password-stdin] [--json] [--data ./data]

Creates an owner: a person who signs in on the platform (the dashboard, and the consent page
where assistants connecting over OAuth are given access to a project). Every owner administers
every project of the instance. --password-stdin reads the password from stdin (at least 8
characters; stored only as a salted scrypt hash); without it the owner signs in by one-time
links (sitepub owner login-link). --json prints {"owner_id","email"}.`,
  'owner login-link': `Usage: sitepub owner login-link --email EMAIL [--json] [--data ./data]

Prints a one-time sign-in URL for the owner, valid 15 minutes: for headless servers, and for
owners without a password. --json prints {"url","expires_at"}.`,
  migrate: 'Usage: sitepub migrate [--data ./data]   (uses DATABASE_URL when set)',
  export: `Usage: sitepub export [--out FILE] [--data ./data]

Writes every project, page version, asset, token hash and download record as JSON lines
(to stdout without --out). With DATABASE_URL set it exports from PostgreSQL.`,
  import: `Usage: sitepub import --in FILE [--data ./data]

Loads an export into an EMPTY database (SQLite in --data, or PostgreSQL with DATABASE_URL),
all or nothing. To move from SQLite to PostgreSQL:
  sitepub export --data ./data --out sitepub.jsonl
  DATABASE_URL=postgres://... sitepub import --in sitepub.jsonl`,
};
