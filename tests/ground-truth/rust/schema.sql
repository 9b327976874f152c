-- Tables and seed rows of the Rust fixtures that run on PostgreSQL, one
-- section per fixture. Each section is loaded into a schema of its own
-- (named after the fixture) before every call, so that the fixtures' tables
-- of the same name need not agree. Ids are small integers or the UUIDs
-- 00000000-0000-0000-0000-00000000000N written as uuid(N).

-- fixture: sqlx/claim_helpers.rs
CREATE TABLE jobs (id bigint PRIMARY KEY, claimed_at timestamptz, not_before timestamptz, checked bool NOT NULL DEFAULT false);
CREATE TABLE job_results (id bigint, job_id bigint);
CREATE TABLE job_log (job_id bigint);
INSERT INTO jobs VALUES (1, NULL, now() - interval '1 hour', false), (2, now(), now() - interval '1 hour', true);
INSERT INTO job_results VALUES (1, 2);

-- fixture: sqlx/helper_outcomes.rs
CREATE TABLE kennel_failures (kennel text);
CREATE TABLE kennel_slots (id bigserial PRIMARY KEY, kennel text);

-- fixture: sqlx/begin_helpers.rs
CREATE TABLE accounts (id bigint PRIMARY KEY, cents bigint NOT NULL, closed bool NOT NULL DEFAULT false);
CREATE TABLE holds (account_id bigint);
INSERT INTO accounts VALUES (1, 100, false), (2, 0, false);
INSERT INTO holds VALUES (1);

-- fixture: sqlx/lease_flags.rs
CREATE FUNCTION uuid(n int) RETURNS uuid LANGUAGE sql IMMUTABLE
  AS $$ SELECT lpad(to_hex(n), 32, '0')::uuid $$;
CREATE TABLE tasks (id uuid PRIMARY KEY, state text NOT NULL, worker_id uuid, lease_until timestamptz);
CREATE TABLE task_events (task_id uuid, kind text);
INSERT INTO tasks VALUES (uuid(1), 'leased', uuid(10), now()), (uuid(2), 'queued', NULL, NULL);

-- fixture: sqlx/own_transaction_type.rs
CREATE TABLE items (id bigint PRIMARY KEY, quantity int NOT NULL, counted_at timestamptz);
INSERT INTO items VALUES (1, 10, NULL), (2, 0, NULL);

-- fixture: sqlx/carried_failures.rs
CREATE TABLE loans (id bigint PRIMARY KEY, member_id bigint, due_at timestamptz, closed bool NOT NULL DEFAULT false,
  checked_at timestamptz);
CREATE TABLE members (id bigint PRIMARY KEY, overdue_loans int NOT NULL DEFAULT 0);
CREATE TABLE branches (id bigint PRIMARY KEY, archiving bool NOT NULL DEFAULT false);
CREATE TABLE returns (id bigint PRIMARY KEY, archived bool NOT NULL DEFAULT false);
CREATE TABLE holds (id bigint PRIMARY KEY, expires_at timestamptz NOT NULL);
INSERT INTO loans VALUES (1, 1, now() - interval '3 days', false, NULL);
INSERT INTO members VALUES (1, 0);
INSERT INTO branches VALUES (1, false);
INSERT INTO returns VALUES (1, false), (2, false);
INSERT INTO holds VALUES (1, now()), (2, now());

-- fixture: sqlx/cte_locking_reads.rs
CREATE FUNCTION uuid(n int) RETURNS uuid LANGUAGE sql IMMUTABLE
  AS $$ SELECT lpad(to_hex(n), 32, '0')::uuid $$;
CREATE TABLE events (id uuid PRIMARY KEY, base_price_cents bigint NOT NULL);
CREATE TABLE seats (id uuid PRIMARY KEY, event_id uuid, surcharge_cents bigint NOT NULL DEFAULT 0,
  row_no int, seat_no int, held_by uuid, held_at timestamptz);
CREATE TABLE accounts (id uuid PRIMARY KEY, budget_cents bigint NOT NULL);
CREATE TABLE orders (account_id uuid, total_cents int);
CREATE TABLE order_seats (order_id uuid, seat_id uuid);
INSERT INTO events VALUES (uuid(1), 500);
INSERT INTO seats VALUES (uuid(2), uuid(1), 0, 1, 1, uuid(21), now()), (uuid(3), uuid(1), 50, 1, 2, NULL, NULL);
INSERT INTO accounts VALUES (uuid(1), 1000);
-- Order 30 holds eight seats already, as many as one order may.
INSERT INTO order_seats SELECT uuid(30), uuid(100 + n) FROM generate_series(1, 8) AS n;

-- fixture: sqlx/transaction_on_pool.rs
CREATE TABLE counters (name text, value int);
CREATE TABLE counter_resets (at timestamptz);
INSERT INTO counters VALUES ('a', 3), ('b', 4);

-- fixture: sqlx/raw_begin_conn.rs
CREATE TABLE accounts (id bigint PRIMARY KEY, balance_cents bigint NOT NULL, closed_at timestamptz);
CREATE TABLE standing_orders (account_id bigint);
INSERT INTO accounts VALUES (1, 100, NULL), (2, 0, NULL);
INSERT INTO standing_orders VALUES (2);

-- fixture: sqlx/discarded_commit.rs
CREATE TABLE users (id bigserial PRIMARY KEY, email text UNIQUE);
CREATE TABLE profiles (user_id bigint);
CREATE TABLE posts (id bigint PRIMARY KEY, touched_at timestamptz, archived_at timestamptz);
CREATE TABLE post_tags (post_id bigint, tag text, UNIQUE (post_id, tag));
CREATE TABLE post_pins (post_id bigint);
CREATE TABLE jobs (id bigint PRIMARY KEY, claimed bool NOT NULL DEFAULT false);
INSERT INTO users (email) VALUES ('a@example.com');
INSERT INTO posts VALUES (1, NULL, NULL), (2, NULL, NULL);
INSERT INTO post_tags VALUES (1, 'a');
INSERT INTO post_pins VALUES (1);
INSERT INTO jobs VALUES (1, false), (2, true);

-- fixture: sqlx/idempotent_commits.rs
CREATE TABLE bins (id bigserial PRIMARY KEY, label text);
CREATE TABLE idempotent_answers (key text PRIMARY KEY, answer text);

-- fixture: sqlx/signup_blocks.rs
CREATE TABLE users (id bigserial PRIMARY KEY, handle text UNIQUE);
CREATE TABLE emails (user_id bigint, email text UNIQUE);
CREATE TABLE logins (handle text, at timestamptz);
CREATE TABLE stats (signups int NOT NULL DEFAULT 0);
INSERT INTO users (handle) VALUES ('ann');
INSERT INTO emails VALUES (1, 'a@example.com');
INSERT INTO stats VALUES (0);

-- fixture: sqlx/owned_transaction_param.rs
CREATE TABLE notes (id bigint PRIMARY KEY, body text, archived bool NOT NULL DEFAULT false, touched_at timestamptz);
CREATE TABLE note_events (note_id bigint, kind text);
INSERT INTO notes (id, body) VALUES (1, 'first'), (2, 'second');

-- fixture: sqlx/savepoint_steps.rs
CREATE TABLE accounts (owner text, balance int NOT NULL DEFAULT 0);
CREATE TABLE receipts (payload text);
INSERT INTO accounts VALUES ('ann', 0);

-- fixture: sqlx/feed_loaders.rs
CREATE TABLE stops (code text);

-- fixture: sqlx/best_effort_touches.rs
CREATE TABLE users (id bigint PRIMARY KEY, last_seen_at timestamptz);
CREATE TABLE sessions (id text PRIMARY KEY, expires_at timestamptz);
CREATE TABLE audit_log (user_id bigint, action text, n bigint);
CREATE TABLE files (id bigint PRIMARY KEY, downloads int NOT NULL DEFAULT 0);
CREATE TABLE downloads (file_id bigint, user_id bigint);
CREATE TABLE pages (id bigint PRIMARY KEY, views int NOT NULL DEFAULT 0);
INSERT INTO users VALUES (1, NULL);
INSERT INTO sessions VALUES ('s1', now());
INSERT INTO files VALUES (1, 0);
INSERT INTO pages VALUES (1, 0);

-- fixture: sqlx/checked_discards.rs
CREATE TABLE loans (member_id bigint, suspended bool NOT NULL DEFAULT false, archived bool NOT NULL DEFAULT false);
CREATE TABLE holds (member_id bigint);
CREATE TABLE member_events (member_id bigint, kind text);
INSERT INTO loans (member_id) VALUES (1);
INSERT INTO holds VALUES (1);

-- fixture: sqlx/async_block_writes.rs
CREATE TABLE events (seq bigint, stream_id bigint);
CREATE TABLE prune_state (floor bigint);
CREATE TABLE snapshots (stream_id bigint, superseded bool NOT NULL DEFAULT false);
CREATE TABLE streams (id bigint PRIMARY KEY, compacted_at timestamptz);
INSERT INTO events VALUES (1, 1), (2, 1), (9, 1);
INSERT INTO prune_state VALUES (0);
INSERT INTO snapshots VALUES (1, true), (1, false);
INSERT INTO streams VALUES (1, NULL);

-- fixture: sqlx/discarded_helper_results.rs
CREATE FUNCTION uuid(n int) RETURNS uuid LANGUAGE sql IMMUTABLE
  AS $$ SELECT lpad(to_hex(n), 32, '0')::uuid $$;
CREATE TABLE ward_settings (ward_id uuid, auto_charge bool);
CREATE TABLE tariff (code text PRIMARY KEY, price bigint NOT NULL);
CREATE TABLE stays (id uuid PRIMARY KEY, ward_id uuid, discharged_at timestamptz);
CREATE TABLE beds (stay_id uuid, status text);
CREATE TABLE stay_charges (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), stay_id uuid, code text, amount bigint);
CREATE TABLE stay_events (stay_id uuid, kind text);
INSERT INTO ward_settings VALUES (uuid(1), true), (uuid(2), false);
INSERT INTO tariff VALUES ('DISCHARGE_FEE', 100), ('TRANSFER_FEE', 50);
INSERT INTO stays VALUES (uuid(5), uuid(1), NULL), (uuid(6), uuid(2), NULL);
INSERT INTO beds VALUES (uuid(5), 'occupied'), (uuid(6), 'occupied');

-- fixture: sqlx/reservation_handoff.rs
CREATE TABLE reservations (id bigserial PRIMARY KEY, seat_id bigint UNIQUE, holder uuid);
INSERT INTO reservations (seat_id) VALUES (2);

-- fixture: sqlx/raw_sql_clean.rs
CREATE TABLE documents (id bigint PRIMARY KEY, title text, body text);
CREATE TABLE search_index (doc_id bigint, tsv tsvector);
CREATE TABLE menu_items (menu_id bigint, id bigint, position int);
INSERT INTO documents VALUES (1, 'one', 'first'), (2, 'two', 'second');
INSERT INTO menu_items VALUES (1, 1, 0), (1, 2, 1);

-- fixture: sqlx/unit_workers.rs
CREATE TABLE sessions (id bigint, expires_at timestamptz);
CREATE TABLE signing_keys (id bigint PRIMARY KEY, active bool NOT NULL DEFAULT false);
CREATE TABLE audit_log (id bigint, at timestamptz);
INSERT INTO sessions VALUES (1, now() - interval '1 day'), (2, now() + interval '1 day');
INSERT INTO signing_keys VALUES (1, true), (2, false);
INSERT INTO audit_log VALUES (1, now() - interval '100 days'), (2, now());

-- fixture: sqlx/job_macros.rs
CREATE TABLE weeks (id bigint PRIMARY KEY, ends_at timestamptz, closed bool NOT NULL DEFAULT false, reported bool NOT NULL DEFAULT false);
CREATE TABLE week_reports (week_id bigint);
CREATE TABLE months (id bigint PRIMARY KEY, ends_at timestamptz, closed bool NOT NULL DEFAULT false);
INSERT INTO weeks VALUES (1, now() - interval '1 day', false, false), (2, now() + interval '6 days', false, false);
INSERT INTO months VALUES (1, now() - interval '1 day', false);

-- fixture: sqlx/page_ingest.rs
CREATE TABLE entries (page bigint, body text);
CREATE TABLE ingest_cursor (page bigint);
INSERT INTO ingest_cursor VALUES (1);

-- fixture: sqlx/tx_escape.rs
CREATE TABLE carts (id bigint PRIMARY KEY, updated_at date);
CREATE TABLE carts_archive (LIKE carts);
CREATE TABLE cart_items (cart_id bigint, price_cents int, qty int);
CREATE TABLE orders (id bigserial PRIMARY KEY, cart_id bigint, total_cents bigint);
INSERT INTO carts VALUES (1, '2026-01-01'), (2, '2026-01-01');
INSERT INTO cart_items VALUES (1, 250, 2);

-- fixture: sqlx/ignored_statement_failures.rs
CREATE TABLE entries (id bigserial PRIMARY KEY, account_id bigint, cents bigint);
CREATE TABLE entry_memos (entry_id bigint, memo text);
CREATE TABLE owners (id bigint PRIMARY KEY, last_seen timestamptz);
CREATE TABLE accounts (id bigserial PRIMARY KEY, owner_id bigint, archived bool NOT NULL DEFAULT false,
  closed bool NOT NULL DEFAULT false, checked_at timestamptz);
CREATE TABLE account_cache (account_id bigint);
CREATE TABLE account_events (account_id bigint, kind text);
CREATE TABLE stale_holds (id bigint);
INSERT INTO owners VALUES (1, NULL);
INSERT INTO accounts (owner_id) VALUES (1);
INSERT INTO account_cache VALUES (1);
INSERT INTO stale_holds VALUES (1);

-- fixture: sqlx/run_in_place.rs
CREATE TABLE ledger_staging (batch_id bigint, cents bigint);
CREATE TABLE ledger (LIKE ledger_staging);
CREATE TABLE import_log (batch_id bigint);
CREATE TABLE uploads (id bigint PRIMARY KEY, received bigint NOT NULL DEFAULT 0);
CREATE TABLE upload_parts (upload_id bigint, part int, etag text);
CREATE TABLE upload_claims (upload_id bigint, part int);
INSERT INTO ledger_staging VALUES (1, 100), (1, 200);
INSERT INTO uploads VALUES (1, 0);
INSERT INTO upload_claims VALUES (1, 1);

-- fixture: sqlx/rebuild_scripts.rs
CREATE TABLE ledger_entries (account_id bigint, amount numeric);
CREATE TABLE account_balances (account_id bigint, balance numeric);
CREATE TABLE invoice_lines (customer_id bigint, month text, amount numeric);
CREATE TABLE invoice_totals (customer_id bigint, month text, total numeric);
CREATE TABLE api_calls (at timestamptz, customer_id bigint);
CREATE TABLE usage_daily (day timestamptz, customer_id bigint, calls bigint);
CREATE TABLE customers (id bigint PRIMARY KEY, name text, email text);
CREATE TABLE customer_search (id bigint, tsv tsvector);
INSERT INTO ledger_entries VALUES (1, 10), (1, 5), (2, 7);
INSERT INTO account_balances VALUES (1, 0);
INSERT INTO invoice_lines VALUES (1, '2026-01', 30);
INSERT INTO invoice_totals VALUES (1, '2026-01', 0);
INSERT INTO api_calls VALUES (now(), 1);
INSERT INTO customers VALUES (1, 'Ann', 'a@example.com');
INSERT INTO customer_search VALUES (1, NULL);

-- fixture: sqlx/lease_fences.rs
CREATE TABLE shard_leases (worker text, generation bigint, renewed_at timestamptz);
CREATE TABLE shard_rows (key bigint, value text, tombstone bool NOT NULL DEFAULT false);
CREATE TABLE deliveries (id text PRIMARY KEY);
CREATE TABLE balances (account text PRIMARY KEY, amount bigint NOT NULL);
INSERT INTO shard_leases VALUES ('w1', 1, now());
INSERT INTO shard_rows VALUES (1, 'a', false), (2, 'b', true);
INSERT INTO deliveries VALUES ('d1');
INSERT INTO balances VALUES ('main', 0);

-- fixture: sqlx/sequence_claims.rs
CREATE TABLE accounts (id text PRIMARY KEY, next_sequence bigint NOT NULL DEFAULT 1);
CREATE TABLE payments (id text CONSTRAINT payments_pkey PRIMARY KEY, account_id text, sequence bigint, amount_cents bigint);
CREATE TABLE owners (id bigint PRIMARY KEY, devices int NOT NULL DEFAULT 0);
CREATE TABLE devices (serial text UNIQUE, owner_id bigint);
CREATE TABLE shops (id text PRIMARY KEY, next_slot bigint NOT NULL DEFAULT 1, claims int NOT NULL DEFAULT 0);
CREATE TABLE orders (id text CONSTRAINT orders_pkey PRIMARY KEY, shop_id text, slot bigint, sku text, state text);
CREATE TABLE claims (shop_id text, order_id text);
CREATE TABLE stock (sku text PRIMARY KEY, reserved int NOT NULL DEFAULT 0);
INSERT INTO accounts VALUES ('a1', 1);
INSERT INTO payments VALUES ('p1', 'a1', 0, 100);
INSERT INTO owners VALUES (1, 0);
INSERT INTO devices VALUES ('s1', 1);
INSERT INTO shops VALUES ('shop', 1, 0);
INSERT INTO orders (id, shop_id, slot) VALUES ('o1', 'shop', 0);
INSERT INTO stock VALUES ('sku1', 0);

-- fixture: tokio_postgres/batch_execute_begin.rs
CREATE TABLE courses (id bigint PRIMARY KEY, seats_left int NOT NULL);
CREATE TABLE students (id bigint PRIMARY KEY, name text);
CREATE TABLE enrollments (student_id bigint, course_id bigint);
INSERT INTO courses VALUES (10, 5), (11, 0);
INSERT INTO students VALUES (1, 'Ann');
INSERT INTO enrollments VALUES (1, 10);

-- fixture: tokio_postgres/object_tx_early_ok.rs
CREATE TABLE warehouses (code text PRIMARY KEY);
CREATE TABLE stock (warehouse text, sku text, on_hand int);
CREATE TABLE stock_staging (warehouse text, sku text, on_hand int);
INSERT INTO warehouses VALUES ('w1');
INSERT INTO stock VALUES ('w1', 'a', 1);
INSERT INTO stock_staging VALUES ('w1', 'a', 2);

-- fixture: tokio_postgres/validation_return_err.rs
CREATE TABLE timesheets (id bigserial PRIMARY KEY, employee_id bigint, week date);
CREATE TABLE timesheet_entries (timesheet_id bigint, day date, minutes int);

-- fixture: tokio_postgres/explicit_rollback_arm.rs
CREATE FUNCTION uuid(n int) RETURNS uuid LANGUAGE sql IMMUTABLE
  AS $$ SELECT lpad(to_hex(n), 32, '0')::uuid $$;
CREATE TABLE tenants (id uuid PRIMARY KEY, slug text UNIQUE);
CREATE TABLE slug_redirects (from_slug text, to_slug text);
INSERT INTO tenants VALUES (uuid(1), 'one'), (uuid(2), 'two');

-- fixture: tokio_postgres/isolation_builder.rs
CREATE TABLE wallets (user_id bigint PRIMARY KEY, points bigint NOT NULL);
INSERT INTO wallets VALUES (1, 100), (2, 5);

-- fixture: tokio_postgres/object_match_clean.rs
CREATE TABLE coupons (code text PRIMARY KEY, discount_cents bigint, expired bool NOT NULL DEFAULT false, used_by bigint);
CREATE TABLE orders (id bigint PRIMARY KEY, discount_cents bigint);
INSERT INTO coupons VALUES ('c1', 500, false, NULL), ('used', 500, false, 7), ('old', 500, true, NULL);
INSERT INTO orders VALUES (1, NULL);

-- fixture: tokio_postgres/raw_commit_early_ok.rs
CREATE TABLE schema_migrations (version bigint PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE audit (what text);
INSERT INTO schema_migrations (version) VALUES (1);

-- fixture: tokio_postgres/read_only_and_pools.rs
CREATE TABLE orders (id bigint);
CREATE TABLE report_runs (rows bigint);
CREATE TABLE jobs (id bigint, state text);
INSERT INTO orders VALUES (1), (2);
INSERT INTO jobs VALUES (1, 'running');

-- fixture: tokio_postgres/savepoint_not_boundary.rs
CREATE TABLE contacts (email text UNIQUE, name text);
INSERT INTO contacts VALUES ('a@example.com', 'Ann');

-- fixture: tokio_postgres/tenant_queries.rs
CREATE TABLE notes (id bigint PRIMARY KEY, tenant text, title text, body text, archived bool NOT NULL DEFAULT false);
INSERT INTO notes VALUES (1, 't1', 'shopping', 'milk', false);

-- fixture: tokio_postgres/ledger_worker.rs
CREATE TABLE accounts (id bigint PRIMARY KEY, balance_cents bigint NOT NULL DEFAULT 0);
CREATE TABLE pending_entries (id bigint PRIMARY KEY, account_id bigint, amount_cents bigint);
CREATE TABLE ledger (id bigserial PRIMARY KEY, account_id bigint, amount_cents bigint, reversed bool NOT NULL DEFAULT false, reverses bigint);
INSERT INTO accounts VALUES (1, 0);
INSERT INTO pending_entries VALUES (1, 1, 10), (2, 1, 20);
INSERT INTO ledger (account_id, amount_cents, reversed) VALUES (1, 10, false), (1, 20, true);

-- fixture: services/best_effort.rs
CREATE TABLE pages (id bigint PRIMARY KEY, views int NOT NULL DEFAULT 0);
CREATE TABLE jobs (id bigint PRIMARY KEY, state text);
INSERT INTO pages VALUES (1, 0);
INSERT INTO jobs VALUES (1, 'new');

-- fixture: services/unit_worker.rs
CREATE TABLE subscriptions (id bigint, plan text, trial_ends_at timestamptz);
CREATE TABLE sessions (expires_at timestamptz);
CREATE TABLE nonces (expires_at timestamptz);
CREATE TABLE password_resets (expires_at timestamptz);
CREATE TABLE players (id bigint PRIMARY KEY, score bigint);
CREATE TABLE games (player_id bigint, points bigint);
INSERT INTO subscriptions VALUES (1, 'trial', now() - interval '1 day');
INSERT INTO sessions VALUES (now() - interval '1 day');
INSERT INTO nonces VALUES (now() - interval '1 day');
INSERT INTO password_resets VALUES (now() - interval '1 day');
INSERT INTO players VALUES (1, 0), (2, 0);
INSERT INTO games VALUES (1, 3), (2, 4);

-- fixture: services/unit_tail_match.rs
CREATE TABLE projections (id bigint, seen bool NOT NULL DEFAULT false);
INSERT INTO projections VALUES (1, false);

-- fixture: services/raw_begin_adapters.rs
CREATE TABLE t (n int NOT NULL);
INSERT INTO t VALUES (0);

-- fixture: services/tokio_pg_build_tx.rs
CREATE TABLE sales (region text, month int, total int);
CREATE TABLE shards (id bigint, owner text, next_owner text);
INSERT INTO sales VALUES ('north', 1, 10), ('south', 1, 20);
INSERT INTO shards VALUES (1, 'a', 'b'), (2, 'c', NULL);

-- fixture: services/tokio_pg_deadpool.rs
CREATE TABLE users (id bigserial PRIMARY KEY, email text UNIQUE, active bool NOT NULL DEFAULT true, karma int NOT NULL DEFAULT 0);
CREATE TABLE user_roles (user_id bigint, role text);
CREATE TABLE contacts (user_id bigint, name text, phone text UNIQUE);
CREATE TABLE flags (user_id bigint, name text, enabled bool, UNIQUE (user_id, name));
CREATE TABLE sessions (user_id bigint);
INSERT INTO users (email, active) VALUES ('a@example.com', true), ('c@example.com', false);
INSERT INTO contacts VALUES (1, 'Al', '1');
INSERT INTO sessions VALUES (1);

-- fixture: services/tokio_pg_raw_worker.rs
CREATE TABLE tasks (id bigint PRIMARY KEY, state text NOT NULL);
INSERT INTO tasks VALUES (1, 'new');

-- fixture: services/positions.rs
CREATE TABLE t (n int NOT NULL);
INSERT INTO t VALUES (0);

-- fixture: services/migrations_plpgsql.rs
CREATE TABLE users (id bigint, updated_at timestamptz);
CREATE TABLE schema_migrations (version bigint PRIMARY KEY);

-- fixture: services/conditional_commit.rs
CREATE TABLE products (id bigint, price int NOT NULL);
CREATE TABLE notifications (kind text);
CREATE TABLE items (id bigint, payload text, table_id bigint);
CREATE TABLE carts (id bigint, updated_at timestamptz);
INSERT INTO products VALUES (1, 100);
INSERT INTO items VALUES (1, 'x', 1);
INSERT INTO carts VALUES (1, now() - interval '30 days');

-- fixture: services/commit_forms.rs
CREATE TABLE a (b int);
INSERT INTO a VALUES (0);

-- fixture: services/err_question.rs
CREATE TABLE quotas (id bigint PRIMARY KEY, lim bigint NOT NULL);
INSERT INTO quotas VALUES (1, 10);

-- fixture: sqlx/counted_writes.rs
CREATE TABLE stations (id bigint PRIMARY KEY, name text, retired_at timestamptz);
CREATE TABLE readings (meter bigint, kwh float8);
INSERT INTO stations VALUES (1, 'one', NULL), (2, 'two', NULL);

-- fixture: sqlx/newtype_repositories.rs
CREATE TABLE lockers (id bigint PRIMARY KEY, holder bigint);
CREATE TABLE locker_codes (locker bigint, code text);
CREATE TABLE locker_audit (locker bigint, event text);
INSERT INTO lockers VALUES (1, 5), (2, NULL);
INSERT INTO locker_codes VALUES (1, '1234');
