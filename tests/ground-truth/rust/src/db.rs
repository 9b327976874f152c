//! The database side: one schema per fixture, the write watcher, and what
//! an unpooled observer sees after a call.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

/// Sessions opened for the fixtures carry this name, the observer's do not.
pub const APP: &str = "gt-app";

/// The watcher: row triggers on every table of a fixture's schema.
///
/// A sequence is not transactional, a table is: an AFTER trigger (which
/// fires only for rows really written, not for those `ON CONFLICT DO
/// NOTHING` skips) counts every row written in `gt.attempted` and keeps one
/// row per written row in `gt.written`, which only commits with it. Their
/// difference after a call is what was written and then rolled back or
/// left uncommitted. A BEFORE trigger fails writes on request: `gt.fail_at = N` (a session setting) makes the session's Nth
/// row write (skipped ones included) fail with a `unique_violation`, as a
/// constraint would; `gt.seen` counts those writes and, being reset when
/// its transaction rolls back, makes the same statement fail again on a
/// retry. `gt.fail_commit = on` makes a COMMIT after a write fail, as a
/// deferred constraint or a serialization failure would.
const WATCHER: &str = r#"
DROP SCHEMA IF EXISTS gt CASCADE;
CREATE SCHEMA gt;
CREATE SEQUENCE gt.attempted;
CREATE SEQUENCE gt.injected;
CREATE TABLE gt.written (tbl text NOT NULL);
CREATE FUNCTION gt.watch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  fail_at int := coalesce(nullif(current_setting('gt.fail_at', true), ''), '0')::int;
  seen int := coalesce(nullif(current_setting('gt.seen', true), ''), '0')::int + 1;
BEGIN
  PERFORM set_config('gt.seen', seen::text, false);
  IF seen = fail_at THEN
    PERFORM nextval('gt.injected');
    RAISE EXCEPTION 'ground truth: row write % of this session fails', seen
      USING ERRCODE = 'unique_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END $$;
CREATE FUNCTION gt.record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM nextval('gt.attempted');
  INSERT INTO gt.written VALUES (TG_TABLE_NAME);
  RETURN NULL;
END $$;
CREATE FUNCTION gt.at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('gt.fail_commit', true) = 'on' THEN
    PERFORM nextval('gt.injected');
    RAISE EXCEPTION 'ground truth: COMMIT fails' USING ERRCODE = 'serialization_failure';
  END IF;
  RETURN NULL;
END $$;
SELECT nextval('gt.attempted'), nextval('gt.injected');
"#;

/// What fails in a scenario.
#[derive(Clone, Copy, Debug)]
pub enum Failure {
    None,
    /// The session's Nth row write.
    Write(u32),
    /// COMMIT, after a write.
    Commit,
}

/// The pools a call may use: sqlx's, and deadpool's for tokio-postgres.
/// Both are lazy: only the one the fixture uses opens connections.
pub struct Pools {
    pub sqlx: PgPool,
    pub deadpool: deadpool_postgres::Pool,
}

pub struct Db {
    options: PgConnectOptions,
    /// The same database for tokio-postgres.
    config: tokio_postgres::Config,
    observer: PgConnection,
}

/// What the observer saw after one call.
#[derive(Debug, Default)]
pub struct Seen {
    /// Rows written during the call, committed or not.
    pub attempted: i64,
    /// Rows written and then lost: rolled back or still uncommitted.
    pub lost: i64,
    /// Injected failures that happened.
    pub injected: i64,
    /// States of the fixture's sessions that are in a transaction, seen
    /// while the harness holds the pool's connection (so a connection given
    /// back has finished whatever sqlx does on its way back).
    pub open: Vec<String>,
    /// The pool could not give its connection back to the harness.
    pub pool_stuck: bool,
}

impl Db {
    /// Connects to `url`, creates the harness's own database in that
    /// cluster, and the watcher in it.
    pub async fn setup(url: &str, name: &str) -> sqlx::Result<Db> {
        let admin = PgConnectOptions::from_str(url)?;
        let mut conn = PgConnection::connect_with(&admin).await?;
        // One statement each: neither may run in a transaction block.
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            sqlx::raw_sql(&sql).execute(&mut conn).await?;
        }
        conn.close().await?;
        let options = admin.database(name);
        let mut observer = PgConnection::connect_with(&options).await?;
        sqlx::raw_sql(WATCHER).execute(&mut observer).await?;
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| sqlx::Error::Configuration(Box::new(e)))?;
        config.dbname(name).application_name(APP);
        Ok(Db {
            options,
            config,
            observer,
        })
    }

    /// Drops and recreates `schema` from `sql`, seed rows included, and
    /// watches every table in it. Ends every fixture session first: one
    /// left in a transaction would hold its locks.
    pub async fn reset(&mut self, schema: &str, sql: &str) -> sqlx::Result<()> {
        self.end_app_sessions().await?;
        let script = format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; \
             SET search_path = {schema}; {sql}; RESET search_path; \
             TRUNCATE gt.written; \
             DO $$ DECLARE t regclass; BEGIN \
               FOR t IN SELECT c.oid::regclass FROM pg_class c \
                 WHERE c.relnamespace = '{schema}'::regnamespace AND c.relkind = 'r' LOOP \
                 EXECUTE format('CREATE TRIGGER gt_watch BEFORE INSERT OR UPDATE OR DELETE ON %s \
                   FOR EACH ROW EXECUTE FUNCTION gt.watch()', t); \
                 EXECUTE format('CREATE TRIGGER gt_record AFTER INSERT OR UPDATE OR DELETE ON %s \
                   FOR EACH ROW EXECUTE FUNCTION gt.record()', t); \
                 EXECUTE format('CREATE CONSTRAINT TRIGGER gt_commit AFTER INSERT OR UPDATE OR DELETE \
                   ON %s DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gt.at_commit()', t); \
               END LOOP; END $$;"
        );
        sqlx::raw_sql(&script).execute(&mut self.observer).await?;
        Ok(())
    }

    /// Runs `sql` on the fixture's tables, from outside any call.
    pub async fn run(&mut self, schema: &str, sql: &str) -> sqlx::Result<()> {
        let script = format!("SET search_path = {schema}; {sql}; RESET search_path;");
        sqlx::raw_sql(&script).execute(&mut self.observer).await?;
        Ok(())
    }

    /// Polls `count_sql` (a count of the harness's sessions, `$1` its
    /// application name) until it is 0, at most `tries` times.
    async fn wait_for_none(
        &mut self,
        count_sql: &str,
        tries: usize,
        pause: Duration,
    ) -> sqlx::Result<()> {
        for _ in 0..tries {
            let left: i64 = sqlx::query_scalar(count_sql)
                .bind(APP)
                .fetch_one(&mut self.observer)
                .await?;
            if left == 0 {
                break;
            }
            tokio::time::sleep(pause).await;
        }
        Ok(())
    }

    pub async fn end_app_sessions(&mut self) -> sqlx::Result<()> {
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        )
        .bind(APP)
        .execute(&mut self.observer)
        .await?;
        // Terminated backends leave pg_stat_activity a moment later.
        self.wait_for_none(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            100,
            Duration::from_millis(10),
        )
        .await
    }

    /// Fresh pools of `max` connections for a call, with the fixture's
    /// schema first on the search path and the scenario's failure.
    pub fn pools(&self, schema: &str, max: u32, failure: Failure) -> Pools {
        let (fail_at, fail_commit) = match failure {
            Failure::None => (0, "off"),
            Failure::Write(n) => (n, "off"),
            Failure::Commit => (0, "on"),
        };
        let settings = [
            ("search_path", schema.to_string()),
            ("gt.fail_at", fail_at.to_string()),
            ("gt.fail_commit", fail_commit.to_string()),
        ];
        let options = self
            .options
            .clone()
            .application_name(APP)
            .options(settings.clone());
        let sqlx = PgPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(1))
            .connect_lazy_with(options);
        let mut config = self.config.clone();
        let startup: Vec<String> = settings
            .iter()
            .map(|(k, v)| format!("-c {k}={v}"))
            .collect();
        config.options(startup.join(" "));
        // Fast recycling, deadpool's default: a connection comes back as it
        // was given back, open transaction included.
        let manager = deadpool_postgres::Manager::from_config(
            config,
            tokio_postgres::NoTls,
            deadpool_postgres::ManagerConfig {
                recycling_method: deadpool_postgres::RecyclingMethod::Fast,
            },
        );
        let deadpool = deadpool_postgres::Pool::builder(manager)
            .max_size(max as usize)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(1)))
            .build()
            .expect("a pool with a runtime for its timeouts");
        Pools { sqlx, deadpool }
    }

    pub async fn counters(&mut self) -> sqlx::Result<(i64, i64, i64)> {
        sqlx::query_as(
            "SELECT (SELECT last_value FROM gt.attempted), (SELECT last_value FROM gt.injected), \
             (SELECT count(*) FROM gt.written)",
        )
        .fetch_one(&mut self.observer)
        .await
    }

    /// Looks at what the call left: first takes the pool's connection
    /// (for a `max: 1` pool, the one the call used), then, while holding
    /// it, the sessions' states and the writes.
    pub async fn observe(&mut self, pools: &Pools, before: (i64, i64, i64)) -> sqlx::Result<Seen> {
        // Every connection the pools have (none for a pool the fixture did
        // not use: its first would be a new session), each once it is back.
        let mut held = Vec::new();
        for _ in 0..pools.sqlx.size() {
            held.push(pools.sqlx.acquire().await);
        }
        let mut held_deadpool = Vec::new();
        for _ in 0..pools.deadpool.status().size {
            held_deadpool.push(pools.deadpool.get().await);
        }
        // tokio-postgres sends a dropped transaction's ROLLBACK without
        // waiting for it: a statement on the same client comes after it.
        // On a connection left in a transaction it changes nothing (in an
        // aborted one it fails, as the next user's would).
        for client in held_deadpool.iter().flatten() {
            let _ = client.batch_execute("SELECT 1").await;
        }
        // A driver may hand back a statement's error before the server has
        // finished with it and gone idle: wait until no session is active
        // (the harness holds them all, so none starts anything new).
        self.wait_for_none(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'",
            200,
            Duration::from_millis(5),
        )
        .await?;
        let open: Vec<String> = sqlx::query_scalar(
            "SELECT state FROM pg_stat_activity \
             WHERE application_name = $1 AND state LIKE 'idle in transaction%' ORDER BY pid",
        )
        .bind(APP)
        .fetch_all(&mut self.observer)
        .await?;
        let (attempted, injected, written) = self.counters().await?;
        let pool_stuck =
            held.iter().any(Result::is_err) || held_deadpool.iter().any(Result::is_err);
        drop(held);
        drop(held_deadpool);
        let attempted = attempted - before.0;
        Ok(Seen {
            attempted,
            lost: attempted - (written - before.2),
            injected: injected - before.1,
            open,
            pool_stuck,
        })
    }
}
