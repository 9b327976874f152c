//! The fixtures, included as they are, and how to call their functions.
//!
//! Each fixture's text is included into a module of its own (`include!`
//! rather than `#[path]`) so that the calls written next to it may build
//! its structs, whose fields are private to that module. Nothing of the
//! fixture is changed. Ids are small integers, or the UUIDs 1, 2, 3...,
//! matching the seed rows of its section in `schema.sql`.

use crate::Fixture;

macro_rules! fixture_text {
    ($path:literal) => {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../fixtures/rust/",
            $path
        )
    };
}

fn id(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(n)
}

/// A client of the deadpool pool, for a function that takes one: the
/// harness is the caller, and gives it back when the call is done.
async fn client(pool: &deadpool_postgres::Pool) -> Result<deadpool_postgres::Client, String> {
    pool.get().await.map_err(|e| format!("{e:?}"))
}

fn text<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

pub fn executed() -> Vec<Fixture> {
    vec![
        claim_helpers::fixture(),
        helper_outcomes::fixture(),
        begin_helpers::fixture(),
        lease_flags::fixture(),
        own_transaction_type::fixture(),
        cte_locking_reads::fixture(),
        carried_failures::fixture(),
        transaction_on_pool::fixture(),
        raw_begin_conn::fixture(),
        discarded_commit::fixture(),
        idempotent_commits::fixture(),
        signup_blocks::fixture(),
        owned_transaction_param::fixture(),
        savepoint_steps::fixture(),
        feed_loaders::fixture(),
        best_effort_touches::fixture(),
        checked_discards::fixture(),
        async_block_writes::fixture(),
        discarded_helper_results::fixture(),
        reservation_handoff::fixture(),
        raw_sql_clean::fixture(),
        unit_workers::fixture(),
        job_macros::fixture(),
        page_ingest::fixture(),
        tx_escape::fixture(),
        ignored_statement_failures::fixture(),
        run_in_place::fixture(),
        rebuild_scripts::fixture(),
        lease_fences::fixture(),
        sequence_claims::fixture(),
        batch_execute_begin::fixture(),
        object_tx_early_ok::fixture(),
        validation_return_err::fixture(),
        explicit_rollback_arm::fixture(),
        isolation_builder::fixture(),
        object_match_clean::fixture(),
        raw_commit_early_ok::fixture(),
        read_only_and_pools::fixture(),
        savepoint_not_boundary::fixture(),
        tenant_queries::fixture(),
        ledger_worker::fixture(),
        services_best_effort::fixture(),
        services_unit_worker::fixture(),
        services_unit_tail_match::fixture(),
        services_raw_begin_adapters::fixture(),
        services_tokio_pg_build_tx::fixture(),
        services_tokio_pg_deadpool::fixture(),
        services_tokio_pg_raw_worker::fixture(),
        services_positions::fixture(),
        services_migrations_plpgsql::fixture(),
        services_conditional_commit::fixture(),
        services_commit_forms::fixture(),
        services_err_question::fixture(),
        counted_writes::fixture(),
        newtype_repositories::fixture(),
    ]
}

const SQLITE: &str = "SQLite (`SqlitePool`), not PostgreSQL";
const MYSQL: &str = "MySQL (`MySqlPool`), not PostgreSQL";
const AXUM: &str = "axum handlers, or the app's error and model modules (`crate::error`, `super::`), which are not in the fixtures";
const APP: &str = "names the app's own modules (`crate::ledger`, `crate::quotas`, `crate::audit`), which are not in the fixtures";
const MACROS: &str =
    "sqlx's `query!` macros, which check their SQL against a live database at compile time";
const SERDE: &str = "uses serde_json, serde or csv, which the harness does not build";
const DERIVE: &str = "derives sqlx's `FromRow`, whose macros would compile sqlx a second time \
     for the compiler: most of a minute of the cold build, for two fixtures";
const ANY: &str = "sqlx's `Any` driver (`AnyPool`), which the harness does not build";

/// Fixtures of the sqlx and tokio-postgres folders that are not executed,
/// with why.
pub fn not_executed() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "sqlx/written_or_not.rs",
            "does not compile: two methods named `settle` in one impl",
        ),
        (
            "sqlx/bare_commit_statements.rs",
            "does not compile alone: names a `DeskError` it does not define, and rusqlite",
        ),
        (
            "sqlx/tenant_pools.rs",
            "opens its own pools from tenants' URLs; its one label is TX004, which is not observable",
        ),
        (
            "sqlx/generated_ids.rs",
            "uses the rand crate, which the harness does not build",
        ),
        (
            "sqlx/loop_savepoints.rs",
            "does not compile alone: calls `tx.begin()` without importing sqlx's `Acquire`",
        ),
        (
            "sqlx/moved_handles.rs",
            "does not compile alone: names a `QueueError` it does not define",
        ),
        (
            "sqlx/scratch_tables.rs",
            "does not compile alone: names a `ReportError` it does not define, and serde",
        ),
        ("tokio_postgres/simple_query_start.rs", SERDE),
        ("sqlx/settlement_raw.rs", DERIVE),
        ("sqlx/worker_claim_clean.rs", DERIVE),
        ("sqlx/err_arm_return_ok.rs", SERDE),
        ("sqlx/import_loops.rs", SERDE),
        ("sqlx/pg_repo_claim.rs", SERDE),
        ("sqlx/replay_loops.rs", SERDE),
        (
            "sqlx/static_pool_locks.rs",
            "its pool is set once per process (`OnceLock`), and every scenario needs a fresh one",
        ),
        ("sqlx/call_forms.rs", SQLITE),
        ("sqlx/callback_scopes.rs", SQLITE),
        ("sqlx/extension_impls.rs", SQLITE),
        ("sqlx/helper_counts.rs", SQLITE),
        ("sqlx/helper_writes_beside.rs", SQLITE),
        ("sqlx/ignored_statement_failures_sqlite.rs", SQLITE),
        ("sqlx/nested_result_refusals.rs", SQLITE),
        ("sqlx/pool_named_transactions.rs", SQLITE),
        ("sqlx/savepoint_outcome.rs", SQLITE),
        ("sqlx/schema_triggers.rs", SQLITE),
        ("sqlx/seat_holds.rs", SQLITE),
        ("sqlx/trigger_scripts.rs", SQLITE),
        ("sqlx/commit_methods.rs", MYSQL),
        ("sqlx/transaction_macros.rs", MYSQL),
        ("sqlx/joined_transactions.rs", MYSQL),
        ("sqlx/derived_models.rs", AXUM),
        ("sqlx/lent_helper_result.rs", AXUM),
        ("sqlx/let_else_profile.rs", AXUM),
        ("sqlx/orders_handlers.rs", AXUM),
        ("sqlx/refund_match_arm.rs", AXUM),
        ("sqlx/response_handlers.rs", AXUM),
        ("sqlx/writes_beside_transactions.rs", AXUM),
        ("sqlx/settle_loop.rs", APP),
        ("sqlx/shadowed_transactions.rs", APP),
        ("sqlx/temporary_transaction.rs", APP),
        ("sqlx/query_macro_begin.rs", MACROS),
        ("sqlx/record_macros.rs", MACROS),
        ("sqlx/catalog_statements.rs", ANY),
    ]
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod claim_helpers {
    include!(fixture_text!("sqlx/claim_helpers.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/claim_helpers.rs",
            cases: vec![
                case!("run", "claimable", |pool| run(&pool, 1)),
                case!("run", "claimed already", |pool| run(&pool, 2)),
                case!("run_inverted", "claimable", |pool| run_inverted(&pool, 1)),
                case!("run_inverted", "claimed already", |pool| run_inverted(
                    &pool, 2
                )),
                case!("check", "unchecked", |pool| check(&pool, 1)),
                case!("check", "done", |pool| check(&pool, 2)),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod helper_outcomes {
    include!(fixture_text!("sqlx/helper_outcomes.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/helper_outcomes.rs",
            cases: vec![
                case!("note_failed_checkin", "a kennel", |pool| {
                    note_failed_checkin(&pool, "k1")
                }),
                case!("claim_slot", "a kennel", |pool| claim_slot(&pool, "k1")),
                case!("note_checkin", "a kennel", |pool| note_checkin(&pool, "k1")),
                case!("claim_slot_and_log", "a kennel", |pool| claim_slot_and_log(
                    &pool, "k1"
                )),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod begin_helpers {
    include!(fixture_text!("sqlx/begin_helpers.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/begin_helpers.rs",
            cases: vec![
                case!("transfer", "two accounts", |pool| Ledger { pool }
                    .transfer(1, 2, 10)),
                case!("close", "an account", |pool| Ledger { pool }.close(1)),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod lease_flags {
    include!(fixture_text!("sqlx/lease_flags.rs"));

    pub fn fixture() -> crate::Fixture {
        use super::id;
        use crate::case;
        crate::Fixture {
            path: "sqlx/lease_flags.rs",
            cases: vec![
                case!("park_task", "leased", |pool| park_task(
                    &pool,
                    id(1),
                    id(11)
                )),
                case!("park_task", "queued", |pool| park_task(
                    &pool,
                    id(2),
                    id(11)
                )),
                case!("release_lease", "its worker", |pool| release_lease(
                    &pool,
                    id(1),
                    id(10)
                )),
                case!("release_lease", "another worker", |pool| release_lease(
                    &pool,
                    id(1),
                    id(11)
                )),
                case!("extend_lease", "its worker", |pool| extend_lease(
                    &pool,
                    id(1),
                    id(10),
                    60
                )),
                case!("extend_lease", "another worker", |pool| extend_lease(
                    &pool,
                    id(1),
                    id(11),
                    60
                )),
                case!("hand_over", "from its worker", |pool| hand_over(
                    &pool,
                    id(1),
                    id(10),
                    id(11),
                    false
                )),
                case!("hand_over", "from another", |pool| hand_over(
                    &pool,
                    id(1),
                    id(12),
                    id(11),
                    false
                )),
                case!("hand_over", "forced", |pool| hand_over(
                    &pool,
                    id(1),
                    id(12),
                    id(11),
                    true
                )),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod own_transaction_type {
    include!(fixture_text!("sqlx/own_transaction_type.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/own_transaction_type.rs",
            cases: vec![
                case!("restock", "an item", |pool| restock(
                    &Inventory { pool },
                    1,
                    5
                )),
                case!("transfer", "in stock", |pool| transfer(
                    &Inventory { pool },
                    1,
                    2,
                    3
                )),
                case!("transfer", "short", |pool| transfer(
                    &Inventory { pool },
                    2,
                    1,
                    3
                )),
                case!("available", "an item", |pool| available(
                    &Inventory { pool },
                    1
                )),
                case!("record_count", "an item", |pool| record_count(
                    &Inventory { pool },
                    1,
                    7
                )),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod cte_locking_reads {
    include!(fixture_text!("sqlx/cte_locking_reads.rs"));

    pub fn fixture() -> crate::Fixture {
        use super::id;
        use crate::case;
        crate::Fixture {
            path: "sqlx/cte_locking_reads.rs",
            cases: vec![
                // `Hold` is not `Debug`: its seat is what is printed.
                case!("hold_seat", "affordable", |pool| async {
                    hold_seat(&pool, id(1), id(20), 1000)
                        .await
                        .map(|h| h.map(|h| h.seat_id))
                }),
                case!("hold_seat", "too dear", |pool| async {
                    hold_seat(&pool, id(1), id(20), 10)
                        .await
                        .map(|h| h.map(|h| h.seat_id))
                }),
                case!("pay_for_holds", "within budget", |pool| pay_for_holds(
                    &pool,
                    id(1),
                    100
                )),
                case!("pay_for_holds", "over budget", |pool| pay_for_holds(
                    &pool,
                    id(1),
                    5000
                )),
                case!("check_out", "a buyer's holds", |pool| check_out(
                    &pool,
                    id(21),
                    id(31)
                )),
                case!("check_out", "into a full order", |pool| check_out(
                    &pool,
                    id(21),
                    id(30)
                )),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod carried_failures {
    include!(fixture_text!("sqlx/carried_failures.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/carried_failures.rs",
            cases: vec![
                case!("close_overdue_loans", "one overdue loan", |pool| {
                    close_overdue_loans(&pool, &Notifier)
                }),
                case!("archive_returns", "two returns", |pool| archive_returns(
                    &pool,
                    1,
                    &[1, 2]
                )),
                case!("renew_holds", "two holds", |pool| renew_holds(
                    &pool,
                    &[1, 2]
                )),
                case!("close_overdue_loans_per_item", "one overdue loan", |pool| {
                    close_overdue_loans_per_item(&pool)
                }),
                case!("archive_returns_or_fail", "two returns", |pool| {
                    archive_returns_or_fail(&pool, &[1, 2])
                }),
                case!("stamp_then_close", "a loan", |pool| stamp_then_close(
                    &pool, 1
                )),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod transaction_on_pool {
    include!(fixture_text!("sqlx/transaction_on_pool.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/transaction_on_pool.rs",
            cases: vec![
                case!("reset_counters", "a pool of 1", |pool| reset_counters(
                    &pool
                )),
                case!("reset_counters", "a pool of 3", 3, |pool| reset_counters(
                    &pool
                )),
                case!("reset_counters_in_one_transaction", "seeded", |pool| {
                    reset_counters_in_one_transaction(&pool)
                }),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod raw_begin_conn {
    include!(fixture_text!("sqlx/raw_begin_conn.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/raw_begin_conn.rs",
            cases: vec![
                case!("transfer", "funded", |pool| transfer(&pool, 1, 2, 10)),
                case!("transfer", "short", |pool| transfer(&pool, 2, 1, 10)),
                case!("close_account", "empty", |pool| close_account(&pool, 2)),
                case!("close_account", "with a balance", |pool| close_account(
                    &pool, 1
                )),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod discarded_commit {
    include!(fixture_text!("sqlx/discarded_commit.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/discarded_commit.rs",
            cases: vec![
                case!("register", "new", |pool| register(&pool, "new@example.com")),
                case!("tag", "two tags", |pool| async move {
                    tag(&pool, 1, &["a".to_string(), "b".to_string()]).await
                }),
                case!("touch", "a post", |pool| touch(&pool, 1)),
                case!("register_checked", "new", |pool| register_checked(
                    &pool,
                    "new@example.com"
                )),
                case!("claim", "unclaimed", |pool| claim(&pool, 1)),
                case!("claim", "claimed", |pool| claim(&pool, 2)),
                case!("snapshot_count", "seeded", |pool| snapshot_count(&pool)),
                case!("archive", "a pinned post", |pool| archive(&pool, 1)),
                case!(
                    "unpin_if_claimed",
                    "unclaimed job",
                    |pool| unpin_if_claimed(&pool, 1, 1)
                ),
                case!("unpin_if_claimed", "claimed job", |pool| unpin_if_claimed(
                    &pool, 2, 1
                )),
                case!("register_logged", "new", |pool| register_logged(
                    &pool,
                    "new@example.com"
                )),
                case!("retag", "a tagged post", |pool| retag(&pool, 1, "b")),
                case!("touch_reported", "a post", |pool| touch_reported(&pool, 1)),
                case!("touch_all", "two posts", |pool| async move {
                    touch_all(&pool, &[1, 2]).await
                }),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod idempotent_commits {
    include!(fixture_text!("sqlx/idempotent_commits.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/idempotent_commits.rs",
            cases: vec![case!("register_bin", "a key", |pool| {
                let record = Idempotency {
                    key: "k1".to_string(),
                };
                register_bin(&pool, record, "bin")
            })],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod signup_blocks {
    include!(fixture_text!("sqlx/signup_blocks.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/signup_blocks.rs",
            cases: vec![
                case!("complete_signup", "new handle", |pool| complete_signup(
                    &pool,
                    "bob",
                    "b@example.com"
                )),
                case!("complete_signup", "taken handle", |pool| complete_signup(
                    &pool,
                    "ann",
                    "b@example.com"
                )),
                case!("complete_signup", "bad email", |pool| complete_signup(
                    &pool, "bob", "nope"
                )),
                case!("complete_signup", "taken email", |pool| complete_signup(
                    &pool,
                    "bob",
                    "a@example.com"
                )),
                case!("sign_in_or_up", "returning user", |pool| sign_in_or_up(
                    &pool, "ann"
                )),
                case!("sign_in_or_up", "new user", |pool| sign_in_or_up(
                    &pool, "bob"
                )),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod owned_transaction_param {
    include!(fixture_text!("sqlx/owned_transaction_param.rs"));

    fn notes(bodies: &[&str]) -> Vec<Note> {
        let notes = bodies.iter().enumerate();
        notes
            .map(|(i, b)| Note {
                id: i as i64 + 10,
                body: b.to_string(),
            })
            .collect()
    }

    // The harness is the caller: it begins the transaction it hands over,
    // and finishes one handed back to it.
    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/owned_transaction_param.rs",
            cases: vec![
                case!("archive", "a note", |pool| async move {
                    let tx = pool.begin().await?;
                    Archiver { pool }.archive(tx, 1).await
                }),
                case!("archive_and_commit", "a note", |pool| async move {
                    let tx = pool.begin().await?;
                    Archiver { pool }.archive_and_commit(tx, 1).await
                }),
                case!("stamp", "a note, the caller commits", |pool| async move {
                    let tx = pool.begin().await?;
                    Archiver { pool }.stamp(tx, 1).await?.commit().await
                }),
                case!("pending", "seeded", |pool| async move {
                    let tx = pool.begin().await?;
                    Archiver { pool }.pending(tx).await
                }),
                case!("import", "two notes, one blank", |pool| async move {
                    let tx = pool.begin().await?;
                    Archiver { pool }.import(tx, notes(&["a", " "])).await
                }),
                case!("import", "none", |pool| async move {
                    let tx = pool.begin().await?;
                    Archiver { pool }.import(tx, notes(&[])).await
                }),
                case!("archive_note", "a note", |pool| Archiver { pool }
                    .archive_note(1)),
                case!("touch_and_archive", "a note", |pool| Archiver { pool }
                    .touch_and_archive(1)),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod savepoint_steps {
    include!(fixture_text!("sqlx/savepoint_steps.rs"));

    // The harness is the batch: it begins the transaction the steps take
    // savepoints of, and commits it after the step returned `Ok`.
    pub fn fixture() -> crate::Fixture {
        use crate::case;
        use sqlx::Connection;
        crate::Fixture {
            path: "sqlx/savepoint_steps.rs",
            cases: vec![
                case!("process_one", "a known owner", |pool| async move {
                    let mut batch = pool.begin().await?;
                    let applied = Consumer.process_one(&mut batch, "ann").await?;
                    batch.commit().await.map(|()| applied)
                }),
                case!(
                    "process_with_receipt",
                    "with a receipt",
                    |pool| async move {
                        let mut batch = pool.begin().await?;
                        let applied = Consumer
                            .process_with_receipt(&mut batch, "ann", true)
                            .await?;
                        batch.commit().await.map(|()| applied)
                    }
                ),
                case!("process_with_receipt", "without", |pool| async move {
                    let mut batch = pool.begin().await?;
                    let applied = Consumer
                        .process_with_receipt(&mut batch, "ann", false)
                        .await?;
                    batch.commit().await.map(|()| applied)
                }),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod feed_loaders {
    include!(fixture_text!("sqlx/feed_loaders.rs"));

    /// Two stops, then the parser is done.
    fn rows() -> UnboundedReceiver<Stop> {
        let (send, receive) = tokio::sync::mpsc::unbounded_channel();
        for code in ["s1", "s2"] {
            let _ = send.send(Stop {
                code: code.to_string(),
            });
        }
        receive
    }

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/feed_loaders.rs",
            cases: vec![
                case!("load_stops", "two stops", |pool| load_stops(&pool, rows())),
                case!(
                    "load_stops_checked",
                    "two stops",
                    |pool| load_stops_checked(&pool, rows())
                ),
                case!("load_stops_once", "two stops", |pool| load_stops_once(
                    &pool,
                    rows()
                )),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod best_effort_touches {
    include!(fixture_text!("sqlx/best_effort_touches.rs"));

    // These answer nothing: the run's outcome is always `Ok(())`.
    pub fn fixture() -> crate::Fixture {
        use crate::case;
        type Done = Result<(), ()>;
        crate::Fixture {
            path: "sqlx/best_effort_touches.rs",
            cases: vec![
                case!("touch_last_seen", "a user", |pool| async move {
                    touch_last_seen(&pool, 1).await;
                    Done::Ok(())
                }),
                case!("bump_session", "a session", |pool| async move {
                    bump_session(&pool, "s1").await;
                    Done::Ok(())
                }),
                case!("audit_export", "a user", |pool| async move {
                    audit_export(&pool, 1, 10).await;
                    Done::Ok(())
                }),
                case!("record_download", "a file", |pool| async move {
                    record_download(&pool, 1, 1).await;
                    Done::Ok(())
                }),
                case!("record_view", "a page", |pool| async move {
                    record_view(&pool, 1).await;
                    Done::Ok(())
                }),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod checked_discards {
    include!(fixture_text!("sqlx/checked_discards.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/checked_discards.rs",
            cases: vec![
                case!("suspend_member", "with loans", |pool| suspend_member(
                    &pool, 1
                )),
                case!("suspend_member", "unknown", |pool| suspend_member(&pool, 9)),
                case!("reinstate_member", "with loans", |pool| reinstate_member(
                    &pool, 1
                )),
                case!("archive_member", "with loans and holds", |pool| {
                    archive_member(&pool, 1)
                }),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod async_block_writes {
    include!(fixture_text!("sqlx/async_block_writes.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/async_block_writes.rs",
            cases: vec![
                case!("prune", "for real", |pool| prune(&pool, 5, false)),
                case!("prune", "dry run after", |pool| prune(&pool, 5, true)),
                case!("compact", "a stream", |pool| compact(&pool, 1)),
                case!("stream_size", "a stream", |pool| stream_size(&pool, 1)),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod discarded_helper_results {
    include!(fixture_text!("sqlx/discarded_helper_results.rs"));

    pub fn fixture() -> crate::Fixture {
        use super::id;
        use crate::case;
        crate::Fixture {
            path: "sqlx/discarded_helper_results.rs",
            cases: vec![
                case!("discharge", "charged ward", |pool| discharge(
                    &pool,
                    id(1),
                    id(5)
                )),
                case!("discharge", "uncharged ward", |pool| discharge(
                    &pool,
                    id(2),
                    id(6)
                )),
                case!("discharge_with_checked_charge", "charged ward", |pool| {
                    discharge_with_checked_charge(&pool, id(1), id(5))
                }),
                case!("transfer", "charged ward", |pool| transfer(
                    &pool,
                    id(1),
                    id(5),
                    id(2)
                )),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod reservation_handoff {
    include!(fixture_text!("sqlx/reservation_handoff.rs"));

    fn seat(seat_id: i64) -> NewReservation {
        NewReservation {
            seat_id,
            holder: super::id(7),
        }
    }

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/reservation_handoff.rs",
            cases: vec![
                // The harness is the caller that finishes what comes back.
                case!(
                    "reserve",
                    "a free seat, the caller commits",
                    |pool| async move {
                        let reservations = Reservations { pool };
                        match reservations.reserve(seat(1)).await? {
                            Some((id, tx)) => tx.commit().await.map(|()| Some(id)),
                            None => Ok(None),
                        }
                        .map_err(ReserveError::from)
                    }
                ),
                case!("reserve", "a taken seat", |pool| async move {
                    let reserved = Reservations { pool }.reserve(seat(2)).await?;
                    Ok::<_, ReserveError>(reserved.map(|(id, _)| id))
                }),
                case!("reserve_and_label", "a free seat", |pool| async move {
                    Reservations { pool }.reserve_and_label(seat(1), "r").await
                }),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod raw_sql_clean {
    include!(fixture_text!("sqlx/raw_sql_clean.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/raw_sql_clean.rs",
            cases: vec![
                case!("rebuild_search_index", "two documents", |pool| {
                    rebuild_search_index(&pool)
                }),
                case!("reorder_menu", "two items", |pool| reorder_menu(
                    &pool,
                    1,
                    &[2, 1]
                )),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod unit_workers {
    include!(fixture_text!("sqlx/unit_workers.rs"));

    // These answer nothing: the run's outcome is always `Ok(())`.
    pub fn fixture() -> crate::Fixture {
        use crate::case;
        type Done = Result<(), ()>;
        crate::Fixture {
            path: "sqlx/unit_workers.rs",
            cases: vec![
                case!("expire_sessions", "one expired", |pool| async move {
                    expire_sessions(&pool).await;
                    Done::Ok(())
                }),
                case!("rotate_keys", "two keys", |pool| async move {
                    rotate_keys(&pool).await;
                    Done::Ok(())
                }),
                case!("vacuum_audit", "one old entry", |pool| async move {
                    vacuum_audit(&pool).await;
                    Done::Ok(())
                }),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod job_macros {
    include!(fixture_text!("sqlx/job_macros.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/job_macros.rs",
            cases: vec![
                case!("close_week", "a week ended", |pool| close_week(&AppState {
                    db: pool
                })),
                case!("close_month", "a month ended", |pool| close_month(
                    &AppState { db: pool }
                )),
                case!("count_open_weeks", "seeded", |pool| count_open_weeks(
                    &AppState { db: pool }
                )),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod page_ingest {
    include!(fixture_text!("sqlx/page_ingest.rs"));

    fn items(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("item {i}")).collect()
    }

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/page_ingest.rs",
            cases: vec![
                case!("store_page", "two items", |pool| async move {
                    PageIngest {
                        pool,
                        retry: Vec::new(),
                    }
                    .store_page(2, items(2))
                    .await
                }),
                case!("store_page_if_tracked", "two items", |pool| async move {
                    let mut ingest = PageIngest {
                        pool,
                        retry: Vec::new(),
                    };
                    ingest.store_page_if_tracked(2, items(2)).await
                }),
                case!("store_page_if_tracked", "101 items", |pool| async move {
                    let mut ingest = PageIngest {
                        pool,
                        retry: Vec::new(),
                    };
                    ingest.store_page_if_tracked(2, items(101)).await
                }),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod tx_escape {
    include!(fixture_text!("sqlx/tx_escape.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/tx_escape.rs",
            cases: vec![
                // The harness is the caller: it places what `open` returns.
                case!("open", "a full cart, then placed", |pool| async move {
                    Checkout::open(&pool, 1).await?.place().await
                }),
                case!("open", "an empty cart", |pool| async move {
                    Checkout::open(&pool, 2).await.map(|c| c.total_cents)
                }),
                case!("place", "a full cart", |pool| async move {
                    Checkout::open(&pool, 1).await?.place().await
                }),
                case!(
                    "begin_serializable",
                    "committed by the caller",
                    |pool| async move {
                        begin_serializable(&pool)
                            .await?
                            .commit()
                            .await
                            .map_err(StoreError::from)
                    }
                ),
                case!("archive_cart", "a cart", |pool| archive_cart(&pool, 1)),
            ],
            not_called: vec![(
                "count_stale_carts",
                "deletes to count and drops the transaction on purpose (`drop(tx)`): \
                 its lost rows are its rollback, which execution cannot tell from a slip",
            )],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod ignored_statement_failures {
    include!(fixture_text!("sqlx/ignored_statement_failures.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        type Done = Result<(), ()>;
        crate::Fixture {
            path: "sqlx/ignored_statement_failures.rs",
            cases: vec![
                case!("post", "an entry with a memo", |pool| Ledger { pool }
                    .post(1, 100, "rent")),
                case!("open_account", "an owner", |pool| Ledger { pool }
                    .open_account(1)),
                case!("archive", "an account", |pool| Ledger { pool }.archive(1)),
                case!("close_account", "an account", |pool| Ledger { pool }
                    .close_account(1)),
                case!("touch_all", "seeded", |pool| async move {
                    Ledger { pool }.touch_all().await;
                    Done::Ok(())
                }),
            ],
            not_called: vec![(
                "install_guards",
                "what it loses is DDL (a function and a trigger), which the row counter does \
                 not see, and its REVOKE fails only for a role that does not own the table",
            )],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod run_in_place {
    include!(fixture_text!("sqlx/run_in_place.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/run_in_place.rs",
            cases: vec![
                case!("import_batch", "a staged batch", |pool| import_batch(
                    &pool, 1
                )),
                case!("import_batch_logged", "a staged batch", |pool| {
                    import_batch_logged(&pool, 1)
                }),
                case!("record_import", "a batch", |pool| record_import(&pool, 1)),
                case!("record_import_uncommitted", "a batch", |pool| {
                    record_import_uncommitted(&pool, 1)
                }),
                case!("store_part", "a part", |pool| store_part(&pool, 1, 1, "e1")),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod rebuild_scripts {
    include!(fixture_text!("sqlx/rebuild_scripts.rs"));

    // The harness is the caller that lends its pooled connection, and then
    // gives it back to the pool.
    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/rebuild_scripts.rs",
            cases: vec![
                case!("rebuild_balances", "seeded", |pool| rebuild_balances(&pool)),
                case!("rebuild_invoice_totals", "a month", |pool| async move {
                    let mut conn = pool.acquire().await?;
                    rebuild_invoice_totals(&mut conn, "2026-01").await
                }),
                case!("rebuild_usage", "seeded", |pool| async move {
                    let mut conn = pool.acquire().await?;
                    rebuild_usage(&mut conn).await
                }),
                case!("rebuild_search_index", "seeded", |pool| {
                    rebuild_search_index(&pool)
                }),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod lease_fences {
    include!(fixture_text!("sqlx/lease_fences.rs"));

    // `Landed` is not `Debug`: its variant's name is printed.
    fn name(landed: Landed) -> &'static str {
        match landed {
            Landed::Written => "Written",
            Landed::Stale => "Stale",
            Landed::Skipped => "Skipped",
        }
    }

    const ROWS: &[(i64, &str)] = &[(10, "x"), (11, "y")];

    fn rows() -> Vec<(i64, String)> {
        ROWS.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/lease_fences.rs",
            cases: vec![
                case!("land_batch", "guarded, lease held", |pool| async move {
                    land_batch(&pool, true, "w1", 1, &rows()).await.map(name)
                }),
                case!("land_batch", "guarded, lease lost", |pool| async move {
                    land_batch(&pool, true, "w1", 9, &rows()).await.map(name)
                }),
                case!("land_batch", "unguarded", |pool| async move {
                    land_batch(&pool, false, "w1", 9, &rows()).await.map(name)
                }),
                case!("land_one", "fenced, held", |pool| async move {
                    let lease = Lease::Fenced { generation: 1 };
                    land_one(&pool, lease, "w1", 1).await.map(name)
                }),
                case!("land_one", "fenced, lost", |pool| async move {
                    let lease = Lease::Fenced { generation: 9 };
                    land_one(&pool, lease, "w1", 1).await.map(name)
                }),
                case!("land_one", "unfenced", |pool| async move {
                    land_one(&pool, Lease::Unfenced, "w1", 1).await.map(name)
                }),
                case!("compact", "held", |pool| async move {
                    compact(&pool, false, "w1", 1).await.map(name)
                }),
                case!("compact", "lost", |pool| async move {
                    compact(&pool, false, "w1", 9).await.map(name)
                }),
                case!("compact", "lost, forced", |pool| async move {
                    compact(&pool, true, "w1", 9).await.map(name)
                }),
                case!("renew_for", "held, nothing pending", |pool| async move {
                    renew_for(&pool, "w1", 1, 0).await.map(name)
                }),
                case!("renew_for", "held, work pending", |pool| async move {
                    renew_for(&pool, "w1", 1, 5).await.map(name)
                }),
                case!("renew_for", "lost", |pool| async move {
                    renew_for(&pool, "w1", 9, 5).await.map(name)
                }),
                case!("on_delivery", "fresh", |pool| on_delivery(&pool, "d2", 5)),
                case!("on_delivery", "a replay", |pool| on_delivery(
                    &pool, "d1", 5
                )),
                case!("on_delivery_early", "fresh", |pool| on_delivery_early(
                    &pool, "d2"
                )),
                case!("on_delivery_early", "a replay", |pool| on_delivery_early(
                    &pool, "d1"
                )),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod sequence_claims {
    include!(fixture_text!("sqlx/sequence_claims.rs"));

    // `Placement` is not `Debug`: its variant's name is printed.
    fn name(placement: Placement) -> &'static str {
        match placement {
            Placement::Placed => "Placed",
            Placement::Skipped => "Skipped",
            Placement::Backordered => "Backordered",
        }
    }

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/sequence_claims.rs",
            cases: vec![
                case!("submit_payment", "new", |pool| submit_payment(
                    &pool, "a1", "p2", 100
                )),
                case!(failing "submit_payment", "submitted twice", |pool| {
                    submit_payment(&pool, "a1", "p1", 100)
                }),
                case!("register_device", "new", |pool| register_device(
                    &pool, 1, "s2"
                )),
                case!(failing "register_device", "registered", |pool| register_device(&pool, 1, "s1")),
                case!("place_order", "new", |pool| async move {
                    place_order(&pool, "o2", "shop").await.map(name)
                }),
                case!(failing "place_order", "placed twice", |pool| async move {
                    place_order(&pool, "o1", "shop").await.map(name)
                }),
                case!("place_backorder", "in stock", |pool| async move {
                    place_backorder(&pool, "o2", "sku1").await.map(name)
                }),
                case!("place_backorder", "no sku", |pool| async move {
                    place_backorder(&pool, "o2", "").await.map(name)
                }),
                case!("claim_slot", "new", |pool| async move {
                    claim_slot(&pool, "shop", "o2").await.map(name)
                }),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod batch_execute_begin {
    include!(fixture_text!("tokio_postgres/batch_execute_begin.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "tokio_postgres/batch_execute_begin.rs",
            cases: vec![
                case!(deadpool "enroll", "seats left", |pool| enroll(&pool, 1, 10)),
                case!(deadpool "enroll", "full", |pool| enroll(&pool, 1, 11)),
                case!(deadpool "roster", "a course", |pool| roster(&pool, 10)),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod object_tx_early_ok {
    include!(fixture_text!("tokio_postgres/object_tx_early_ok.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "tokio_postgres/object_tx_early_ok.rs",
            cases: vec![
                case!(deadpool "sync_inventory", "counts", |pool| async move {
                    sync_inventory(&pool, "w1", &[("a".to_string(), 3)]).await
                }),
                case!(deadpool "sync_inventory", "no counts", |pool| sync_inventory(&pool, "w1", &[])),
                case!(deadpool "clear_warehouse", "known", |pool| clear_warehouse(&pool, "w1")),
                case!(deadpool "clear_warehouse", "unknown", |pool| clear_warehouse(&pool, "zz")),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod validation_return_err {
    include!(fixture_text!("tokio_postgres/validation_return_err.rs"));

    fn sheet(minutes: &[i32]) -> Timesheet {
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).expect("a Monday");
        let entries = minutes.iter().map(|m| Entry { day, minutes: *m }).collect();
        Timesheet {
            employee_id: 1,
            week: day,
            entries,
        }
    }

    pub fn fixture() -> crate::Fixture {
        use super::{client, text};
        use crate::case;
        crate::Fixture {
            path: "tokio_postgres/validation_return_err.rs",
            cases: vec![
                case!(deadpool "submit_timesheet", "a day's work", |pool| async move {
                    submit_timesheet(&*client(&pool).await?, &sheet(&[480])).await.map_err(text)
                }),
                case!(deadpool "submit_timesheet", "a day over 24 hours", |pool| async move {
                    submit_timesheet(&*client(&pool).await?, &sheet(&[480, 1500])).await.map_err(text)
                }),
                case!(deadpool "submit_timesheet", "no hours", |pool| async move {
                    submit_timesheet(&*client(&pool).await?, &sheet(&[0])).await.map_err(text)
                }),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod explicit_rollback_arm {
    include!(fixture_text!("tokio_postgres/explicit_rollback_arm.rs"));

    pub fn fixture() -> crate::Fixture {
        use super::id;
        use crate::case;
        crate::Fixture {
            path: "tokio_postgres/explicit_rollback_arm.rs",
            cases: vec![
                case!(deadpool "rename_tenant", "a free slug", |pool| rename_tenant(&pool, id(1), "new")),
                case!(deadpool "rename_tenant", "a taken slug", |pool| rename_tenant(&pool, id(1), "two")),
                case!(deadpool "rename_tenant", "an unknown tenant", |pool| rename_tenant(&pool, id(9), "new")),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod isolation_builder {
    include!(fixture_text!("tokio_postgres/isolation_builder.rs"));

    pub fn fixture() -> crate::Fixture {
        use super::{client, text};
        use crate::case;
        crate::Fixture {
            path: "tokio_postgres/isolation_builder.rs",
            cases: vec![
                case!(deadpool "transfer_points", "enough points", |pool| transfer_points(&pool, 1, 2, 10)),
                case!(deadpool "transfer_points", "too few", |pool| transfer_points(&pool, 2, 1, 1000)),
                case!(deadpool "snapshot", "seeded", |pool| async move {
                    let snapshot = snapshot(&*client(&pool).await?).await.map_err(text)?;
                    Ok::<_, String>((snapshot.total_points, snapshot.wallets))
                }),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod object_match_clean {
    include!(fixture_text!("tokio_postgres/object_match_clean.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "tokio_postgres/object_match_clean.rs",
            cases: vec![
                case!(deadpool "redeem", "a fresh coupon", |pool| redeem(&pool, "c1", 1)),
                case!(deadpool "redeem", "a used coupon", |pool| redeem(&pool, "used", 1)),
                case!(deadpool "redeem", "an unknown coupon", |pool| redeem(&pool, "nope", 1)),
                case!(deadpool "redeem", "an expired coupon", |pool| redeem(&pool, "old", 1)),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod raw_commit_early_ok {
    include!(fixture_text!("tokio_postgres/raw_commit_early_ok.rs"));

    fn migrations() -> Vec<Migration> {
        let add = |version: i64, sql: &str| Migration {
            version,
            sql: sql.to_string(),
        };
        vec![
            add(1, "CREATE TABLE IF NOT EXISTS widgets (id bigint)"),
            add(2, "INSERT INTO audit VALUES ('widgets')"),
        ]
    }

    pub fn fixture() -> crate::Fixture {
        use super::{client, text};
        use crate::case;
        crate::Fixture {
            path: "tokio_postgres/raw_commit_early_ok.rs",
            cases: vec![
                case!(deadpool "apply_migrations", "one pending", |pool| async move {
                    apply_migrations(&*client(&pool).await?, &migrations()).await.map_err(text)
                }),
                case!(deadpool "apply_migrations", "up to date", |pool| async move {
                    apply_migrations(&*client(&pool).await?, &migrations()[..1]).await.map_err(text)
                }),
                case!(deadpool "ensure_table", "exists", |pool| async move {
                    ensure_table(&*client(&pool).await?).await.map_err(text)
                }),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod read_only_and_pools {
    include!(fixture_text!("tokio_postgres/read_only_and_pools.rs"));

    pub fn fixture() -> crate::Fixture {
        use super::{client, text};
        use crate::case;
        crate::Fixture {
            path: "tokio_postgres/read_only_and_pools.rs",
            cases: vec![
                case!(deadpool "snapshot", "seeded", |pool| async move {
                    snapshot(&mut *client(&pool).await?, &Report).await.map_err(text)
                }),
                case!(deadpool "record", "for real", |pool| async move {
                    record(&mut *client(&pool).await?, &Report, false).await.map_err(text)
                }),
                case!(deadpool "record", "dry run", |pool| async move {
                    record(&mut *client(&pool).await?, &Report, true).await.map_err(text)
                }),
                case!(deadpool "shutdown", "a job", |pool| shutdown(pool.clone())),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod savepoint_not_boundary {
    include!(fixture_text!("tokio_postgres/savepoint_not_boundary.rs"));

    fn rows(emails: &[&str]) -> Vec<ContactRow> {
        let row = |e: &&str| ContactRow {
            email: e.to_string(),
            name: "n".to_string(),
        };
        emails.iter().map(row).collect()
    }

    pub fn fixture() -> crate::Fixture {
        use super::{client, text};
        use crate::case;
        crate::Fixture {
            path: "tokio_postgres/savepoint_not_boundary.rs",
            cases: vec![
                case!(deadpool "import_contacts", "new contacts", |pool| async move {
                    let rows = rows(&["b@example.com", "c@example.com"]);
                    import_contacts(&*client(&pool).await?, &rows, 1).await.map_err(text)
                }),
                // The known address fails its INSERT (unique), and one
                // failure is one too many.
                case!(deadpool "import_contacts", "a known address, no failure allowed", |pool| async move {
                    let rows = rows(&["a@example.com"]);
                    import_contacts(&*client(&pool).await?, &rows, 0).await.map_err(text)
                }),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod tenant_queries {
    include!(fixture_text!("tokio_postgres/tenant_queries.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "tokio_postgres/tenant_queries.rs",
            cases: vec![
                case!(deadpool "list_notes", "a tenant", |pool| list_notes(&pool, "t1", 10)),
                case!(deadpool "search_notes", "a term", |pool| search_notes(&pool, "t1", "milk")),
                case!(deadpool "archive_notes", "one id", |pool| archive_notes(&pool, "t1", &[1])),
                case!(deadpool "archive_notes", "unknown ids", |pool| archive_notes(&pool, "t1", &[9])),
                case!(deadpool "archive_notes", "101 ids", |pool| async move {
                    let ids: Vec<i64> = (1..=101).collect();
                    archive_notes(&pool, "t1", &ids).await
                }),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod ledger_worker {
    include!(fixture_text!("tokio_postgres/ledger_worker.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "tokio_postgres/ledger_worker.rs",
            cases: vec![
                case!(deadpool "post_next_batch", "two pending", |pool| post_next_batch(&pool)),
                case!(deadpool "reverse_entry", "an entry", |pool| reverse_entry(&pool, 1)),
                case!(deadpool "reverse_entry", "reversed already", |pool| reverse_entry(&pool, 2)),
                case!(deadpool "reverse_entry", "unknown", |pool| reverse_entry(&pool, 9)),
            ],
            not_called: vec![(
                "run",
                "loops for ever, calling post_next_batch, which is called",
            )],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod services_best_effort {
    include!(fixture_text!("services/best_effort.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        type Done = Result<(), ()>;
        crate::Fixture {
            path: "services/best_effort.rs",
            cases: vec![
                case!("record_view", "a page", |pool| async move {
                    record_view(&pool, 1).await;
                    Done::Ok(())
                }),
                case!("record_view_forgot", "a page", |pool| async move {
                    record_view_forgot(&pool, 1).await;
                    Done::Ok(())
                }),
                case!("apply_with_fallback", "a job", |pool| apply_with_fallback(
                    &pool, 1
                )),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod services_unit_worker {
    include!(fixture_text!("services/unit_worker.rs"));

    // These answer nothing, and panic where they `expect`: a panic is
    // their error exit.
    pub fn fixture() -> crate::Fixture {
        use crate::case;
        type Done = Result<(), ()>;
        crate::Fixture {
            path: "services/unit_worker.rs",
            cases: vec![
                case!("expire_trials", "one trial over", |pool| async move {
                    expire_trials(pool).await;
                    Done::Ok(())
                }),
                case!("nightly", "one expired row each", |pool| async move {
                    nightly(&pool).await;
                    Done::Ok(())
                }),
                case!("recompute_scores", "two players", |pool| async move {
                    recompute_scores(&pool).await;
                    Done::Ok(())
                }),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod services_unit_tail_match {
    include!(fixture_text!("services/unit_tail_match.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        type Done = Result<(), ()>;
        crate::Fixture {
            path: "services/unit_tail_match.rs",
            cases: vec![
                case!("on_event", "created", |pool| async move {
                    on_event(&pool, Event::Created(2)).await;
                    Done::Ok(())
                }),
                case!("on_event", "deleted", |pool| async move {
                    on_event(&pool, Event::Deleted(1)).await;
                    Done::Ok(())
                }),
                case!("on_event_verbose", "created", |pool| async move {
                    on_event_verbose(&pool, Event::Created(2), true).await;
                    Done::Ok(())
                }),
            ],
            not_called: vec![(
                "spawn_apply",
                "spawns its work and returns: the harness cannot tell when that is done",
            )],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod services_raw_begin_adapters {
    include!(fixture_text!("services/raw_begin_adapters.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "services/raw_begin_adapters.rs",
            cases: vec![
                case!("with_map", "seeded", |pool| with_map(&pool)),
                case!("with_inspect", "seeded", |pool| with_inspect(&pool)),
                case!("discard_result", "seeded", |pool| discard_result(&pool)),
                case!("with_own_adapter", "seeded", |pool| with_own_adapter(&pool)),
                case!("own_adapter_after_begin", "seeded", |pool| {
                    own_adapter_after_begin(&pool)
                }),
                case!("apply_block_event", "starting", |pool| async move {
                    apply_block_event(&pool, &BlockEvent::Starting).await
                }),
                case!("apply_block_event", "a statement", |pool| async move {
                    let event = BlockEvent::Statement("UPDATE t SET n = n + 1".to_string());
                    apply_block_event(&pool, &event).await
                }),
                case!("apply_block_event", "finished", |pool| async move {
                    apply_block_event(&pool, &BlockEvent::Finished).await
                }),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod services_tokio_pg_build_tx {
    include!(fixture_text!("services/tokio_pg_build_tx.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "services/tokio_pg_build_tx.rs",
            cases: vec![
                case!(deadpool "monthly_report", "a month", |pool| monthly_report(&pool, 1)),
                case!(deadpool "rebalance", "one shard moving", |pool| rebalance(&pool)),
                case!(deadpool "rebalance_dry", "for real", |pool| rebalance_dry(&pool, false)),
                case!(deadpool "rebalance_dry", "dry", |pool| rebalance_dry(&pool, true)),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod services_tokio_pg_deadpool {
    include!(fixture_text!("services/tokio_pg_deadpool.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "services/tokio_pg_deadpool.rs",
            cases: vec![
                case!(deadpool "create_user", "new", |pool| create_user(&pool, "b@example.com", &["admin"])),
                case!(deadpool "create_user", "a known address", |pool| {
                    create_user(&pool, "a@example.com", &["admin"])
                }),
                case!(deadpool "import_contacts", "a new and a known one", |pool| async move {
                    let contacts = [("Bo".to_string(), "2".to_string()), ("Al".to_string(), "1".to_string())];
                    import_contacts(&pool, 1, &contacts).await
                }),
                case!(deadpool "set_flags", "two flags", |pool| set_flags(&pool, 1, &[("beta", true), ("dark", false)])),
                case!(deadpool "deactivate", "active", |pool| deactivate(&pool, 1)),
                case!(deadpool "deactivate", "inactive", |pool| deactivate(&pool, 2)),
                case!(deadpool "raw_begin", "a user", |pool| raw_begin(&pool, 1)),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod services_tokio_pg_raw_worker {
    include!(fixture_text!("services/tokio_pg_raw_worker.rs"));

    const NOTHING_NEW: &str = "UPDATE tasks SET state = 'done'";

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "services/tokio_pg_raw_worker.rs",
            cases: vec![
                case!(deadpool "claim_and_run", "a new task", |pool| claim_and_run(&pool)),
                case!(deadpool "claim_and_run", "nothing new", |pool| claim_and_run(&pool))
                    .given(NOTHING_NEW),
                case!(deadpool "claim_and_run_ok", "a new task", |pool| claim_and_run_ok(&pool)),
                case!(deadpool "claim_and_run_ok", "nothing new", |pool| claim_and_run_ok(&pool))
                    .given(NOTHING_NEW),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod services_positions {
    include!(fixture_text!("services/positions.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "services/positions.rs",
            cases: vec![
                case!("multi_line_raw", "seeded", |pool| multi_line_raw(&pool)),
                case!("multi_line_object", "committed", |pool| multi_line_object(
                    &pool, false
                )),
                case!("multi_line_object", "skipped", |pool| multi_line_object(
                    &pool, true
                )),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod services_migrations_plpgsql {
    include!(fixture_text!("services/migrations_plpgsql.rs"));

    pub fn fixture() -> crate::Fixture {
        use super::{client, text};
        use crate::case;
        crate::Fixture {
            path: "services/migrations_plpgsql.rs",
            cases: vec![
                case!(deadpool "migrate", "version 7 pending", |pool| async move {
                    migrate(&mut *client(&pool).await?).await.map_err(text)
                }),
                case!(deadpool "migrate_plain", "seeded", |pool| async move {
                    migrate_plain(&mut *client(&pool).await?).await.map_err(text)
                }),
            ],
            not_called: vec![(
                "migrate_tx",
                "what it loses is DDL (a function), which the row counter does not see",
            )],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod services_conditional_commit {
    include!(fixture_text!("services/conditional_commit.rs"));

    // The dry runs are not called: they roll back what they wrote on
    // purpose, which the row counter cannot tell from a transaction
    // dropped by mistake.
    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "services/conditional_commit.rs",
            cases: vec![
                case!("reprice", "apply", |pool| reprice(&pool, 10, Mode::Apply)),
                case!("reprice", "apply and notify", |pool| reprice(
                    &pool,
                    10,
                    Mode::ApplyAndNotify
                )),
                case!("copy_between", "within one database", 2, |pool| {
                    copy_between(&pool, &pool, 1)
                }),
                case!("maybe_commit", "for real", |pool| maybe_commit(
                    &pool, false
                )),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod services_commit_forms {
    include!(fixture_text!("services/commit_forms.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "services/commit_forms.rs",
            cases: vec![
                case!("ufcs", "seeded", |pool| ufcs(&pool)),
                case!("commit_in_ok", "seeded", |pool| commit_in_ok(&pool)),
                case!("commit_tail_map", "seeded", |pool| commit_tail_map(&pool)),
                case!("commit_and_then", "seeded", |pool| commit_and_then(&pool)),
                case!("commit_if_let", "seeded", |pool| commit_if_let(&pool)),
                case!("commit_match_tail", "seeded", |pool| commit_match_tail(
                    &pool
                )),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod services_err_question {
    include!(fixture_text!("services/err_question.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "services/err_question.rs",
            cases: vec![
                case!("set_limit", "raised", |pool| set_limit(&pool, 1, 20)),
                case!("set_limit", "lowered", |pool| set_limit(&pool, 1, 5)),
                case!("set_limit_tail", "raised", |pool| set_limit_tail(
                    &pool, 1, 20
                )),
                case!("set_limit_tail", "lowered", |pool| set_limit_tail(
                    &pool, 1, 5
                )),
                case!("set_limit_match", "raised", |pool| set_limit_match(
                    &pool, 1, 20
                )),
                case!("set_limit_match", "lowered", |pool| set_limit_match(
                    &pool, 1, 5
                )),
                case!("set_limit_match", "unknown", |pool| set_limit_match(
                    &pool, 9, 5
                )),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod counted_writes {
    include!(fixture_text!("sqlx/counted_writes.rs"));

    fn reading(meter: i64) -> Reading {
        Reading { meter, kwh: 1.5 }
    }

    /// Two readings, then the sender hangs up.
    fn sent() -> Receiver<Reading> {
        let (send, receive) = tokio::sync::mpsc::channel(4);
        for meter in [1, 2] {
            let _ = send.try_send(reading(meter));
        }
        receive
    }

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/counted_writes.rs",
            cases: vec![
                case!("rename_stations", "one named", |pool| async move {
                    rename_stations(&pool, &[(1, "North".to_string()), (2, " ".to_string())])
                        .await
                }),
                case!("rename_stations", "none named", |pool| async move {
                    rename_stations(&pool, &[(1, String::new())]).await
                }),
                case!("retire_stations", "one retired", |pool| retire_stations(
                    &pool,
                    &[1, 2],
                    &[2]
                )),
                case!("retire_stations", "all kept", |pool| retire_stations(
                    &pool,
                    &[1],
                    &[1]
                )),
                case!("store_readings", "two sent", |pool| store_readings(
                    pool.clone(),
                    sent()
                )),
                case!("store_checked_readings", "all good", |pool| async move {
                    store_checked_readings(&pool, &[reading(1), reading(2)]).await
                }),
                case!("store_checked_readings", "one skipped", |pool| async move {
                    store_checked_readings(&pool, &[reading(1), reading(0)]).await
                }),
            ],
            not_called: vec![],
        }
    }
}

#[allow(dead_code, unused, nonstandard_style, clippy::all)]
mod newtype_repositories {
    include!(fixture_text!("sqlx/newtype_repositories.rs"));

    pub fn fixture() -> crate::Fixture {
        use crate::case;
        crate::Fixture {
            path: "sqlx/newtype_repositories.rs",
            cases: vec![
                case!("release", "a held locker", 2, |pool| async move {
                    Lockers(pool.clone()).release(1).await
                }),
                case!("assign", "a free locker", |pool| async move {
                    Lockers(pool.clone()).assign(2, 7, "4711").await
                }),
                case!("expire", "a held locker", 2, |pool| async move {
                    Lockers(pool.clone()).expire(1).await
                }),
            ],
            not_called: vec![],
        }
    }
}
