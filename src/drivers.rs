//! Driver vocabularies: which calls acquire, begin, commit, roll back and
//! release, per driver, as data (`rules/drivers/*.toml`, compiled in). Also
//! reads transaction statements out of SQL text.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::source::Language;

/// What a recognised call does to its handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Effect {
    Acquire,
    Begin,
    Commit,
    Rollback,
    Release,
    /// Closes the connection: its transaction ends and it is given up.
    Discard,
    /// Returns a transaction object that rolls back when dropped (Rust's
    /// `pool.begin()`, `client.transaction()`).
    #[serde(rename = "begin_object")]
    BeginObject,
    /// Opens the connection of a handle checked out lazily (TypeORM's
    /// `queryRunner.connect()`): if it fails, nothing is held yet.
    Open,
}

/// What the receiver of a call must look like for the call to count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Receiver {
    Pool,
    #[default]
    Any,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CallEffect {
    pub method: String,
    pub effect: Effect,
    #[serde(default)]
    pub receiver: Receiver,
    /// An argument makes the call discard the connection, which also ends
    /// its transaction (pg's `release(err)`).
    #[serde(default)]
    pub discard_with_argument: bool,
    /// An acquire that takes its connection only when the handle is first
    /// used (TypeORM's `createQueryRunner()`): a path that never uses it
    /// owes no release.
    #[serde(default)]
    pub lazy: bool,
    /// What the acquire checks out refuses every statement once released
    /// (a released TypeORM runner throws): nothing sent through it after
    /// the release succeeds.
    #[serde(default)]
    pub refuses_after_release: bool,
    /// Its promise never rejects (MongoDB's `endSession()` catches its own
    /// errors): leaving it unawaited loses nothing, and is no TX007.
    #[serde(default)]
    pub never_rejects: bool,
    /// The call counts only with exactly this many arguments (rusqlite's
    /// `transaction()` begins; diesel's `transaction(|conn| ..)` is a
    /// closure form that is safe by construction).
    #[serde(default)]
    pub arguments: Option<usize>,
    /// The call counts only with at most this many arguments: mysql2's
    /// `beginTransaction()` takes at most a callback, a workflow engine's
    /// `beginTransaction(id, handler, input)` is something else.
    #[serde(default)]
    pub max_arguments: Option<usize>,
    /// A string literal argument must be one of these (TypeORM's isolation
    /// levels): a tracer's `startTransaction('checkout')` is not a begin.
    #[serde(default)]
    pub string_arguments: Option<Vec<String>>,
    /// An object literal argument may have only these keys (MongoDB's
    /// transaction options): Sentry's `startTransaction({ name, op })` is
    /// not a begin.
    #[serde(default)]
    pub option_keys: Option<Vec<String>>,
    /// With any argument other than an options object (`{..}`) the call
    /// takes a callback that the library runs inside a transaction it
    /// manages (`knex.transaction(async (trx) => ..)`): only the bare form
    /// counts.
    #[serde(default)]
    pub unless_callback: bool,
    /// Awaited, the call ignores a callback argument and resolves to what
    /// its bare form does (mysql2's promise `getConnection(cb)`).
    #[serde(default)]
    pub awaited_ignores_callback: bool,
    /// The call counts only on a receiver built by a call of this method
    /// (`client.build_transaction().start()`).
    #[serde(default)]
    pub receiver_call: Option<String>,
    /// The call counts only on a receiver of this name (Objection's
    /// `transaction.start(knex)`), a method too generic to count elsewhere.
    #[serde(default)]
    pub receiver_name: Option<String>,
    /// What an acquired connection does when dropped: `"return"` to its
    /// pool (Rust's pools), so it never needs a release by hand.
    #[serde(default)]
    pub on_drop: Option<String>,
}

impl CallEffect {
    pub fn returns_to_pool_on_drop(&self) -> bool {
        self.on_drop.as_deref() == Some("return")
    }

    /// Whether an argument of this shape fits the driver's call; anything
    /// other than a literal fits (it cannot be told apart).
    pub fn fits(&self, argument: &ArgumentShape) -> bool {
        match argument {
            ArgumentShape::Text(text) => self
                .string_arguments
                .as_ref()
                .is_none_or(|allowed| allowed.iter().any(|a| a.eq_ignore_ascii_case(text))),
            ArgumentShape::Keys(keys) => self
                .option_keys
                .as_ref()
                .is_none_or(|allowed| keys.iter().all(|key| allowed.contains(key))),
            ArgumentShape::Other => true,
        }
    }
}

/// What a call's argument visibly is, for `CallEffect::fits`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ArgumentShape {
    /// A string literal.
    Text(String),
    /// An object literal with these keys.
    Keys(Vec<String>),
    Other,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PoolShape {
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub factories: Vec<String>,
    #[serde(default)]
    pub constructors: Vec<String>,
    /// Other classes of the driver whose objects hold its connections
    /// (TypeORM's `DataSource`): no pool to configure, but no look-alike
    /// of another library either.
    #[serde(default)]
    pub classes: Vec<String>,
    /// Functions whose call creates a new pool (`mysql.createPool(..)`).
    #[serde(default)]
    pub creators: Vec<String>,
    /// Constructor options that bound the wait for a free connection.
    #[serde(default)]
    pub timeout_options: Vec<String>,
    /// Methods of a pool that return the same pool under another API
    /// (mysql2's `pool.promise()`).
    #[serde(default)]
    pub views: Vec<String>,
    /// Pools a package makes and exports ready to use (`import { db } from
    /// '@vercel/postgres'`).
    #[serde(default)]
    pub exported: Vec<ExportedPool>,
}

/// A pool a package exports under a name.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportedPool {
    pub package: String,
    pub name: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SqlCalls {
    /// `handle.method("SQL", ..)`: the receiver runs the SQL.
    #[serde(default)]
    pub methods: Vec<String>,
    /// ``handle.tag`SQL` ``: the receiver runs the tagged template's SQL.
    #[serde(default)]
    pub tags: Vec<String>,
    /// `function("SQL")` or `macro!("SQL")` builds a statement that an
    /// executor method later runs on a handle (`sqlx::query("BEGIN")`).
    #[serde(default)]
    pub functions: Vec<String>,
    /// `statement.method(handle)`: runs a built statement on its argument.
    #[serde(default)]
    pub executors: Vec<String>,
    /// Classes whose instances a SQL method runs as a stream
    /// (`client.query(new QueryStream(..))`): neither constructing one nor
    /// handing it over throws at the call.
    #[serde(default)]
    pub submittables: Vec<String>,
    /// Keys of a call's options object that name the transaction it runs
    /// in (`Model.create(row, { transaction: t })`): the call uses the
    /// transaction and does not end it.
    #[serde(default)]
    pub transaction_options: Vec<String>,
    /// Methods that run a query in the transaction passed to them
    /// (knex's `.transacting(trx)`).
    #[serde(default)]
    pub transaction_methods: Vec<String>,
    /// Properties of a handle whose methods run on it
    /// (`queryRunner.manager.save(..)`).
    #[serde(default)]
    pub handle_properties: Vec<String>,
    /// Methods and executors that, given SQL text txlint cannot read
    /// (`tx.execute(&sql, ..)`), are taken to write.
    #[serde(default)]
    pub may_write: Vec<String>,
    /// Methods that prepare SQL text into a statement to run later on the
    /// same handle (`conn.prepare("..")`).
    #[serde(default)]
    pub preparers: Vec<String>,
    /// Methods of a prepared statement that run it (`statement.execute(..)`).
    #[serde(default)]
    pub statement_methods: Vec<String>,
    /// Executors that only return rows (`query.fetch_all(&mut *tx)`): a
    /// handle lent to one is read, unless the statement was built by a
    /// call that writes (`insert_into(..)`, `update(..)`).
    #[serde(default)]
    pub reads: Vec<String>,
    /// Methods that bind a handle into a statement built elsewhere
    /// (cornucopia's generated `user_by_id().bind(&tx, &id)`): awaited as
    /// it is, the statement may write; its rows taken by one of `reads`
    /// (`.one()`, `.all()`), it reads.
    #[serde(default)]
    pub binders: Vec<String>,
}

/// Properties (or methods called without arguments) of a handle that say
/// whether a transaction is open on it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransactionState {
    /// True while one is open (`queryRunner.isTransactionActive`).
    #[serde(default)]
    pub open: Vec<String>,
    /// True once it has ended (`trx.isCompleted()`, Sequelize's
    /// `t.finished`).
    #[serde(default)]
    pub ended: Vec<String>,
    /// True once the handle went back to its pool
    /// (`queryRunner.isReleased`).
    #[serde(default)]
    pub released: Vec<String>,
}

/// What a state property of a handle tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StateQuestion {
    /// Whether a transaction is open (`true`) or over (`false`).
    Transaction { open: bool },
    /// Whether the handle was released.
    Released,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Driver {
    /// Names the vocabulary in messages about it; part of the file format.
    #[allow(dead_code)]
    pub name: String,
    pub language: String,
    #[serde(default)]
    pub pool: PoolShape,
    #[serde(default)]
    pub sql: SqlCalls,
    #[serde(default, rename = "call")]
    pub calls: Vec<CallEffect>,
    #[serde(default)]
    pub state: TransactionState,
    #[serde(default)]
    pub managed: ManagedCode,
}

/// Code a framework runs inside a transaction it rolls back when the code
/// throws: an exception leaving it is handled (TypeORM runs a migration's
/// `up`/`down` so; a `@Transaction()` method runs in an interceptor's).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ManagedCode {
    /// Methods named in `methods` of classes implementing one of these.
    #[serde(default)]
    pub implements: Vec<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    /// Methods with one of these decorators.
    #[serde(default)]
    pub decorators: Vec<String>,
}

/// Every driver's vocabulary for one language, merged for lookups.
#[derive(Clone, Debug, Default)]
pub(crate) struct Vocabulary {
    pub drivers: Vec<Driver>,
    /// Functions, named in the configuration, that take care of whatever
    /// client or transaction is passed to them (`safe_helpers`).
    pub safe_helpers: Vec<String>,
    /// Built on first use from the fields above (see `may_matter`).
    function_words: OnceLock<aho_corasick::AhoCorasick>,
}

/// The words of an identifier, lowercased: `mempool_tx` and `poolTx` both
/// give their two.
pub(crate) fn identifier_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if c == '_' || c == '$' {
            previous_lower = false;
            words.push(String::new());
            continue;
        }
        if c.is_uppercase() && previous_lower || words.is_empty() {
            words.push(String::new());
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        if let Some(word) = words.last_mut() {
            word.extend(c.to_lowercase());
        }
    }
    words.retain(|word| !word.is_empty());
    words
}

const BUILTIN: &[(&str, &str)] = &[
    ("pg.toml", include_str!("../rules/drivers/pg.toml")),
    ("mysql2.toml", include_str!("../rules/drivers/mysql2.toml")),
    (
        "typeorm.toml",
        include_str!("../rules/drivers/typeorm.toml"),
    ),
    ("knex.toml", include_str!("../rules/drivers/knex.toml")),
    (
        "sequelize.toml",
        include_str!("../rules/drivers/sequelize.toml"),
    ),
    (
        "mongodb.toml",
        include_str!("../rules/drivers/mongodb.toml"),
    ),
    ("sqlx.toml", include_str!("../rules/drivers/sqlx.toml")),
    (
        "tokio-postgres.toml",
        include_str!("../rules/drivers/tokio-postgres.toml"),
    ),
    (
        "postgres.toml",
        include_str!("../rules/drivers/postgres.toml"),
    ),
    (
        "rusqlite.toml",
        include_str!("../rules/drivers/rusqlite.toml"),
    ),
    ("diesel.toml", include_str!("../rules/drivers/diesel.toml")),
    (
        "mysql-rust.toml",
        include_str!("../rules/drivers/mysql-rust.toml"),
    ),
    (
        "rust-pools.toml",
        include_str!("../rules/drivers/rust-pools.toml"),
    ),
    (
        "sea-orm.toml",
        include_str!("../rules/drivers/sea-orm.toml"),
    ),
    (
        "cornucopia.toml",
        include_str!("../rules/drivers/cornucopia.toml"),
    ),
];

/// The vocabularies of one run: the built-in drivers, and any the user's
/// configuration adds in the same format.
#[derive(Clone, Debug)]
pub struct Drivers {
    typescript: Vocabulary,
    rust: Vocabulary,
}

impl Drivers {
    /// The compiled-in drivers.
    pub fn builtin() -> &'static Drivers {
        static DRIVERS: OnceLock<Drivers> = OnceLock::new();
        DRIVERS.get_or_init(|| {
            let mut drivers = Drivers {
                typescript: Vocabulary::default(),
                rust: Vocabulary::default(),
            };
            for (file, text) in BUILTIN {
                let driver = toml::from_str::<Driver>(text)
                    .unwrap_or_else(|err| panic!("built-in driver {file} is invalid: {err}"));
                drivers
                    .add(driver)
                    .unwrap_or_else(|err| panic!("built-in driver {file}: {err}"));
            }
            drivers
        })
    }

    /// The built-in drivers and the user's driver files (`drivers = [..]` in
    /// `txlint.toml`). A file that is not a driver is an error naming it.
    pub fn with_user_files(
        files: &[std::path::PathBuf],
        safe_helpers: &[String],
    ) -> Result<Drivers, String> {
        let builtin = Drivers::builtin();
        let mut drivers = Drivers {
            typescript: builtin.typescript.clone(),
            rust: builtin.rust.clone(),
        };
        drivers.typescript.safe_helpers = safe_helpers.to_vec();
        drivers.typescript.function_words = OnceLock::new();
        for path in files {
            let text = std::fs::read_to_string(path).map_err(|err| {
                format!(
                    "{}: could not read the driver: {}",
                    path.display(),
                    crate::discover::io_message(&err)
                )
            })?;
            let driver: Driver = toml::from_str(&text).map_err(|err| {
                let at = err.span().map_or_else(String::new, |span| {
                    let position = crate::source::LineIndex::new(&text).line_col(span.start as u32);
                    format!(":{}:{}", position.line, position.column)
                });
                format!("{}{at}: {}", path.display(), err.message().trim())
            })?;
            drivers
                .add(driver)
                .map_err(|err| format!("{}: {err}", path.display()))?;
        }
        Ok(drivers)
    }

    fn add(&mut self, driver: Driver) -> Result<(), String> {
        self.typescript.function_words = OnceLock::new();
        self.rust.function_words = OnceLock::new();
        match driver.language.as_str() {
            "typescript" => self.typescript.drivers.push(driver),
            "rust" => self.rust.drivers.push(driver),
            other => {
                return Err(format!(
                    "`language = \"{other}\"`: use \"typescript\" or \"rust\""
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn typescript(&self) -> &Vocabulary {
        &self.typescript
    }

    pub(crate) fn rust(&self) -> &Vocabulary {
        &self.rust
    }

    /// What a file of `language` must contain to be worth parsing (see
    /// `PrefilterWords`).
    pub(crate) fn prefilter_words(&self, language: Language) -> PrefilterWords {
        match language {
            Language::Rust => self.rust.prefilter_words(),
            Language::TypeScript { .. } | Language::JavaScript { .. } => {
                self.typescript.prefilter_words()
            }
        }
    }
}

impl Vocabulary {
    /// Whether a call of `method` with that many arguments returns a
    /// transaction object (`pool.begin()`, `conn.transaction()`).
    pub fn begins_object(&self, method: &str, arguments: usize) -> bool {
        self.call_effect(method, arguments, &[])
            .is_some_and(|effect| effect.effect == Effect::BeginObject)
    }

    /// What a call of `method` does; `receiver_known_as` holds the calls
    /// that built its receiver and the name the receiver is held under.
    pub fn call_effect(
        &self,
        method: &str,
        arguments: usize,
        receiver_known_as: &[&str],
    ) -> Option<&CallEffect> {
        // An entry for what one method returns is more specific than one
        // for any receiver. A project's wrapper may spell a method its own
        // way (`rollBackTransaction`).
        self.drivers
            .iter()
            .flat_map(|d| &d.calls)
            .filter(|c| {
                c.method.eq_ignore_ascii_case(method)
                    && c.arguments.is_none_or(|n| n == arguments)
                    && c.max_arguments.is_none_or(|n| arguments <= n)
                    && c.receiver_call
                        .as_deref()
                        .is_none_or(|call| receiver_known_as.contains(&call))
                    && c.receiver_name
                        .as_deref()
                        .is_none_or(|name| receiver_known_as.contains(&name))
            })
            .min_by_key(|c| c.receiver_call.is_none() && c.receiver_name.is_none())
    }

    /// The method that rolls back what a call of `begin` began on a client
    /// checked out by a call of `acquired_via`, from the driver that has
    /// both: `rollbackTransaction` for TypeORM's `startTransaction` on what
    /// `createQueryRunner` made. A begin of the same name on anything else
    /// (a MongoDB session's `startTransaction`) is not that driver's.
    pub fn rollback_method(&self, begin: &str, acquired_via: &str) -> Option<&str> {
        let driver = self.drivers.iter().find(|d| {
            let has = |method: &str, effects: &[Effect]| {
                d.calls
                    .iter()
                    .any(|c| c.method == method && effects.contains(&c.effect))
            };
            has(begin, &[Effect::Begin, Effect::BeginObject])
                && has(acquired_via, &[Effect::Acquire])
        })?;
        driver
            .calls
            .iter()
            .find(|c| c.effect == Effect::Rollback && c.arguments.is_none_or(|n| n == 0))
            .map(|c| c.method.as_str())
    }

    /// `Some(true)` when the property says a transaction is open on its
    /// object, `Some(false)` when it says it has ended.
    pub fn state_question(&self, property: &str) -> Option<StateQuestion> {
        self.drivers.iter().find_map(|d| {
            let names = |list: &[String]| list.iter().any(|p| p == property);
            if names(&d.state.open) {
                Some(StateQuestion::Transaction { open: true })
            } else if names(&d.state.ended) {
                Some(StateQuestion::Transaction { open: false })
            } else if names(&d.state.released) {
                Some(StateQuestion::Released)
            } else {
                None
            }
        })
    }

    /// Where, in `code`, words of this vocabulary start: a word of the
    /// prefilter, a method that runs SQL, or a safe helper. A function whose
    /// text holds none of them has no events to follow and need not be
    /// lowered.
    pub fn words_at(&self, code: &str) -> Vec<u32> {
        self.function_words
            .get_or_init(|| {
                let prefilter = self.prefilter_words();
                let mut words = minimal(prefilter.alone.into_iter().chain(prefilter.paired));
                // Not the option keys: `session` is in every other Next.js
                // file, and a query given `{ session }` begins nothing.
                for driver in &self.drivers {
                    words.extend(driver.sql.methods.iter().cloned());
                }
                words.extend(self.safe_helpers.iter().cloned());
                aho_corasick::AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .build(words)
                    .expect("vocabulary words form a valid automaton")
            })
            .find_iter(code)
            .map(|found| found.start() as u32)
            .collect()
    }

    /// Whether a call path (`withTransaction`, `db.tx`) names a configured
    /// safe helper: by its whole path, or by its last name.
    pub fn is_safe_helper(&self, path: &str) -> bool {
        self.safe_helpers.iter().any(|name| {
            path == name
                || path
                    .strip_suffix(name.as_str())
                    .is_some_and(|owner| owner.ends_with('.'))
        })
    }

    pub fn is_transaction_method(&self, method: &str) -> bool {
        self.drivers
            .iter()
            .flat_map(|d| &d.sql.transaction_methods)
            .any(|m| m == method)
    }

    pub fn is_handle_property(&self, property: &str) -> bool {
        self.drivers
            .iter()
            .flat_map(|d| &d.sql.handle_properties)
            .any(|p| p == property)
    }

    pub fn is_transaction_option(&self, key: &str) -> bool {
        self.drivers
            .iter()
            .flat_map(|d| &d.sql.transaction_options)
            .any(|k| k == key)
    }

    pub fn is_sql_function(&self, path: &str) -> bool {
        self.drivers
            .iter()
            .flat_map(|d| &d.sql.functions)
            .any(|f| f == path)
    }

    pub fn is_submittable(&self, class: &str) -> bool {
        self.drivers
            .iter()
            .flat_map(|d| &d.sql.submittables)
            .any(|c| c == class)
    }

    pub fn is_sql_executor(&self, method: &str) -> bool {
        self.drivers
            .iter()
            .flat_map(|d| &d.sql.executors)
            .any(|m| m == method)
    }

    /// Whether a framework rolls back when `method` of a class implementing
    /// `interfaces` throws, or when a method with `decorators` does.
    pub fn is_managed(&self, interfaces: &[String], method: &str, decorators: &[String]) -> bool {
        self.drivers.iter().any(|d| {
            let managed = &d.managed;
            (managed.methods.iter().any(|m| m == method)
                && interfaces.iter().any(|i| managed.implements.contains(i)))
                || decorators
                    .iter()
                    .any(|name| managed.decorators.contains(name))
        })
    }

    /// Whether `name` is in the list `pick` takes from some driver's
    /// `[sql]` table.
    fn sql_lists(&self, pick: impl Fn(&SqlCalls) -> &Vec<String>, name: &str) -> bool {
        self.drivers
            .iter()
            .any(|d| pick(&d.sql).iter().any(|m| m == name))
    }

    pub fn is_preparer(&self, method: &str) -> bool {
        self.sql_lists(|sql| &sql.preparers, method)
    }

    pub fn is_binder(&self, method: &str) -> bool {
        self.sql_lists(|sql| &sql.binders, method)
    }

    pub fn is_statement_method(&self, method: &str) -> bool {
        self.sql_lists(|sql| &sql.statement_methods, method)
    }

    pub fn may_write(&self, method: &str) -> bool {
        self.sql_lists(|sql| &sql.may_write, method)
    }

    pub fn only_reads(&self, method: &str) -> bool {
        self.sql_lists(|sql| &sql.reads, method)
    }

    pub fn is_sql_method(&self, method: &str) -> bool {
        self.sql_lists(|sql| &sql.methods, method)
    }

    pub fn is_sql_tag(&self, method: &str) -> bool {
        self.sql_lists(|sql| &sql.tags, method)
    }

    /// Whether `package` exports a ready-made pool as `name`.
    pub fn is_exported_pool(&self, package: &str, name: &str) -> bool {
        self.drivers
            .iter()
            .flat_map(|d| &d.pool.exported)
            .any(|pool| pool.package == package && pool.name == name)
    }

    /// Whether a variable or field named `name` looks like a pool.
    pub fn is_pool_name(&self, name: &str) -> bool {
        // `poolClient`, `pooledConnection`, `mempool_tx`: named after the
        // pool they came from, they are clients and transactions.
        let last = name.rsplit('.').next().unwrap_or(name);
        let words = identifier_words(last);
        let names_other = words
            .iter()
            .any(|word| word.contains("client") || word.contains("conn"))
            || words
                .last()
                .is_some_and(|word| matches!(word.as_str(), "tx" | "txn" | "trx" | "transaction"));
        if names_other {
            return false;
        }
        let name = name.to_ascii_lowercase();
        self.drivers
            .iter()
            .flat_map(|d| &d.pool.names)
            .any(|n| name.contains(&n.to_ascii_lowercase()))
    }

    pub fn is_pool_factory(&self, function: &str) -> bool {
        self.drivers
            .iter()
            .flat_map(|d| &d.pool.factories)
            .any(|f| f == function)
    }

    /// Whether an option of a pool's constructor bounds the wait for a
    /// connection.
    pub fn is_pool_timeout_option(&self, key: &str) -> bool {
        self.drivers
            .iter()
            .flat_map(|d| &d.pool.timeout_options)
            .any(|o| o == key)
    }

    /// Whether `pool.<method>()` is the same pool under another API.
    pub fn is_pool_view(&self, method: &str) -> bool {
        self.drivers
            .iter()
            .flat_map(|d| &d.pool.views)
            .any(|m| m == method)
    }

    pub fn is_pool_creator(&self, function: &str) -> bool {
        self.drivers
            .iter()
            .flat_map(|d| &d.pool.creators)
            .any(|f| f == function)
    }

    pub fn is_pool_constructor(&self, class: &str) -> bool {
        self.drivers
            .iter()
            .flat_map(|d| &d.pool.constructors)
            .any(|c| c == class)
    }

    /// Whether objects of `class` come from a driver: its pools and its
    /// other classes (see `PoolShape::classes`).
    pub fn is_driver_class(&self, class: &str) -> bool {
        self.is_pool_constructor(class)
            || self
                .drivers
                .iter()
                .flat_map(|d| &d.pool.classes)
                .any(|c| c == class)
    }
}

/// The words without which a file cannot report anything, derived from
/// its language's vocabulary and matched case-insensitively. A finding
/// needs a begin (a begin call, or `BEGIN`/`START TRANSACTION` in SQL
/// text), a checked-out client (a checkout that must be given back, or a
/// release that shows one), a pool made here, or a suppression comment.
/// Files that contain none of them need not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PrefilterWords {
    /// Any one of these is enough.
    pub alone: Vec<String>,
    /// Words that count only together with a word of `partners`. A pool's
    /// name (`pool`, `dataSource`): a pool that nothing is checked out of
    /// and no transaction statement goes through reports nothing, and every
    /// TypeORM file names its `DataSource`. And `transaction` not called: a
    /// type (`Knex.Transaction`) or a field (`transactionManager`) begins
    /// nothing, but a transaction of that type may be committed here.
    pub paired: Vec<String>,
    /// A checkout from a pool that must be given back (`connect(`), or
    /// the end of a transaction that may be sent through one.
    pub partners: Vec<String>,
}

impl Vocabulary {
    pub(crate) fn prefilter_words(&self) -> PrefilterWords {
        // A call of `transaction` begins one (`db.transaction(`,
        // `startTransaction(`); so does SQL's `START TRANSACTION`.
        let mut alone: Vec<String> = ["begin", "start transaction", "txlint-ignore"]
            .map(String::from)
            .to_vec();
        alone.extend(called("transaction"));
        let mut paired: Vec<String> = vec!["transaction".into()];
        let mut partners: Vec<String> = vec!["commit".into(), "rollback".into(), "abort".into()];
        for driver in &self.drivers {
            paired.extend(driver.pool.names.iter().cloned());
            paired.extend(driver.pool.factories.iter().cloned());
            // The package names the pool where it is imported.
            paired.extend(driver.pool.exported.iter().map(|p| p.package.clone()));
            // Called: `new Pool(`, `mysql.createPool(`; a pool's name
            // without a call is only a name.
            let made = driver.pool.constructors.iter().chain(&driver.pool.creators);
            alone.extend(made.map(|name| format!("{name}(")));
            for call in &driver.calls {
                match call.effect {
                    // The most telling word of the call: what built or
                    // names its receiver, or else the method.
                    Effect::Begin | Effect::BeginObject => {
                        match (&call.receiver_call, &call.receiver_name) {
                            (Some(receiver_call), _) => alone.push(receiver_call.clone()),
                            (None, Some(receiver)) => {
                                alone.extend(called(&format!("{receiver}.{}", call.method)))
                            }
                            (None, None) => alone.extend(called(&call.method)),
                        }
                    }
                    Effect::Release => alone.push(call.method.clone()),
                    // Checks out whatever the receiver (`createQueryRunner()`).
                    Effect::Acquire if call.receiver == Receiver::Any => {
                        alone.push(call.method.clone())
                    }
                    // `pool.connect()`, called: `connect` alone is in every
                    // `connection`. A checkout given back on drop (Rust's
                    // `pool.get()`) needs nothing done, so it reports
                    // nothing by itself.
                    Effect::Acquire if !call.returns_to_pool_on_drop() => {
                        partners.push(format!("{}(", call.method))
                    }
                    Effect::Acquire
                    | Effect::Commit
                    | Effect::Rollback
                    | Effect::Discard
                    | Effect::Open => {}
                }
            }
        }
        PrefilterWords {
            alone: minimal(alone),
            paired: minimal(paired),
            partners: minimal(partners),
        }
    }
}

/// How a call of `method` is written: `method(`, with type arguments
/// `method<T>(`, or Rust's turbofish `method::<T>(`.
fn called(method: &str) -> [String; 3] {
    [
        format!("{method}("),
        format!("{method}<"),
        format!("{method}::<"),
    ]
}

/// The words lowercased, sorted, without duplicates, and without any that
/// contains another (which adds nothing to a search for either).
fn minimal(words: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut words: Vec<String> = words.into_iter().map(|w| w.to_ascii_lowercase()).collect();
    words.sort();
    words.dedup();
    words
        .iter()
        .filter(|word| {
            !words
                .iter()
                .any(|other| other != *word && word.contains(other.as_str()))
        })
        .cloned()
        .collect()
}

/// A transaction boundary found in SQL text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TxStatement {
    Begin,
    /// The statements a script runs between its own `BEGIN` and the
    /// `COMMIT` or `ROLLBACK` after it (`BEGIN; UPDATE ..; COMMIT`): when
    /// one fails, the database stops there and the call fails with the
    /// transaction still open (in PostgreSQL, aborted).
    Work,
    Commit,
    Rollback,
}

/// The transaction boundaries in `sql`, statement by statement, with
/// `Work` for what runs between a `BEGIN` and the end that follows it.
/// `SAVEPOINT` and `ROLLBACK TO SAVEPOINT` are not boundaries.
pub(crate) fn transaction_statements(sql: &str) -> Vec<TxStatement> {
    let mut found = Vec::new();
    let mut work_after_begin = false;
    for statement in split_statements(sql) {
        match classify_statement(&statement) {
            Some(TxStatement::Begin) => {
                found.push(TxStatement::Begin);
                work_after_begin = false;
            }
            Some(end) => {
                if std::mem::take(&mut work_after_begin) {
                    found.push(TxStatement::Work);
                }
                found.push(end);
            }
            // A setting (`PRAGMA foreign_keys = ON`, `SET LOCAL ..`) is
            // no work that fails.
            None if is_setting(&statement) => {}
            None => work_after_begin = found.last() == Some(&TxStatement::Begin),
        }
    }
    found
}

/// Whether `statements` open and then end their own transaction in one
/// text (`BEGIN; ..; COMMIT;`): sent through a pool, such a script runs on
/// one of its connections.
pub(crate) fn whole_transaction(statements: &[TxStatement]) -> bool {
    statements.first() == Some(&TxStatement::Begin)
        && statements.last() != Some(&TxStatement::Begin)
}

/// Whether a statement only sets an option of the session or transaction.
fn is_setting(statement: &str) -> bool {
    let first = statement.split_whitespace().next().unwrap_or_default();
    ["PRAGMA", "SET", "RESET"]
        .iter()
        .any(|word| first.eq_ignore_ascii_case(word))
}

/// Whether `sql` may change data: a statement that writes (`INSERT`,
/// `UPDATE`, `DELETE`, `MERGE`, DDL, `COPY`, `CALL`, ...) or a `WITH` whose
/// body does. Reads, locks (`SELECT .. FOR UPDATE`,
/// `pg_advisory_xact_lock`), `SET` and the transaction statements do not.
pub(crate) fn sql_writes(sql: &str) -> bool {
    sql_writes_lasting(sql, &[])
}

/// Whether `sql` may change data that outlives the session: as
/// `sql_writes`, but a statement that only creates, fills, changes or drops
/// one of the `temporary` tables (see `temporary_tables`) writes nothing
/// that a transaction left uncommitted would lose.
pub(crate) fn sql_writes_lasting(sql: &str, temporary: &[String]) -> bool {
    split_statements(sql).any(|statement| {
        let upper = statement.to_ascii_uppercase();
        let mut words = upper
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty());
        if !temporary.is_empty()
            && written_tables(&upper)
                .is_some_and(|tables| tables.iter().all(|table| temporary.contains(table)))
        {
            return false;
        }
        match words.next() {
            None => false,
            Some(
                "SELECT" | "VALUES" | "TABLE" | "SHOW" | "EXPLAIN" | "SET" | "RESET" | "LOCK"
                | "PRAGMA" | "BEGIN" | "START" | "COMMIT" | "END" | "ROLLBACK" | "ABORT"
                | "SAVEPOINT" | "RELEASE" | "DECLARE" | "FETCH" | "CLOSE" | "MOVE" | "LISTEN"
                | "UNLISTEN",
            ) => false,
            Some("WITH") => with_writes(&upper),
            // INSERT, UPDATE, DELETE, MERGE, UPSERT, REPLACE, CREATE, ALTER,
            // DROP, TRUNCATE, COPY, CALL, DO, NOTIFY, GRANT, ..., and
            // anything not known to read.
            Some(_) => true,
        }
    })
}

/// The tables a statement (uppercased) writes to, when it names them all:
/// its own (see `written_table`), or for a `WITH` those of its main
/// statement and of every data-modifying CTE (see `with_writes`).
fn written_tables(upper: &str) -> Option<Vec<String>> {
    if !upper.trim_start().starts_with("WITH") {
        return written_table(upper).map(|table| vec![table]);
    }
    let mut tables = Vec::new();
    for (at, c) in upper.char_indices() {
        if !matches!(c, '(' | ')') {
            continue;
        }
        let rest = upper[at + 1..].trim_start();
        if ["INSERT", "UPDATE", "DELETE", "MERGE"]
            .iter()
            .any(|word| rest.starts_with(word))
        {
            tables.push(written_table(rest)?);
        }
    }
    (!tables.is_empty()).then_some(tables)
}

/// The table a statement (uppercased) writes to or drops, when it names
/// one where the statement starts: `INSERT INTO t`, `UPDATE t`, `DELETE
/// FROM t`, `TRUNCATE t`, `DROP TABLE IF EXISTS t`, `CREATE TEMP TABLE t`.
fn written_table(upper: &str) -> Option<String> {
    let words: Vec<&str> = upper
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .filter(|w| !w.is_empty())
        .take(7)
        .collect();
    let skip: &[&str] = match words.first().copied()? {
        "INSERT" | "REPLACE" => &["INTO", "OR", "IGNORE", "REPLACE"],
        "UPDATE" => &["ONLY", "OR", "IGNORE", "REPLACE"],
        "DELETE" => &["FROM", "ONLY"],
        "TRUNCATE" => &["TABLE", "ONLY"],
        "DROP" => &["TABLE", "IF", "EXISTS"],
        "CREATE" => &[
            "TEMP",
            "TEMPORARY",
            "GLOBAL",
            "LOCAL",
            "TABLE",
            "IF",
            "NOT",
            "EXISTS",
        ],
        _ => return None,
    };
    let table = words[1..].iter().find(|word| !skip.contains(word))?;
    Some(table.rsplit('.').next().unwrap_or(table).to_string())
}

/// The tables that `text` creates as temporary (`CREATE TEMPORARY TABLE
/// scratch ..`, `CREATE TEMP TABLE IF NOT EXISTS ..`), uppercased: they
/// last no longer than the session.
pub(crate) fn temporary_tables(text: &str) -> Vec<String> {
    // Most files create none: do not copy them to find out.
    let names_temp = text
        .as_bytes()
        .windows(4)
        .any(|word| word.eq_ignore_ascii_case(b"temp"));
    if !names_temp {
        return Vec::new();
    }
    let upper = text.to_ascii_uppercase();
    let created = |at: usize| {
        let before = upper[..at].trim_end();
        let before = before
            .strip_suffix("GLOBAL")
            .or_else(|| before.strip_suffix("LOCAL"))
            .unwrap_or(before);
        before.trim_end().ends_with("CREATE")
    };
    let mut tables: Vec<String> = ["TEMPORARY TABLE", "TEMP TABLE"]
        .iter()
        .flat_map(|marker| upper.match_indices(marker))
        .filter(|(at, _)| created(*at))
        .filter_map(|(at, _)| written_table(&format!("CREATE {}", &upper[at..])))
        .collect();
    tables.sort();
    tables.dedup();
    tables
}

/// Whether a `WITH` statement (uppercased) writes: a CTE's body or the
/// main statement is data-modifying. Both start right after a parenthesis
/// (`AS (DELETE ..`, `) INSERT ..`); the same words elsewhere belong to a
/// clause (`FOR UPDATE` on a sub-select, `DO UPDATE` of an upsert whose
/// `INSERT` is seen anyway) or sit inside a string.
fn with_writes(upper: &str) -> bool {
    let mut after_parenthesis = false;
    let mut rest = upper;
    loop {
        rest = rest.trim_start();
        let Some(c) = rest.chars().next() else {
            return false;
        };
        if c.is_ascii_alphanumeric() || c == '_' {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let word = &rest[..end];
            if after_parenthesis && matches!(word, "INSERT" | "UPDATE" | "DELETE" | "MERGE") {
                return true;
            }
            after_parenthesis = false;
            rest = &rest[end..];
        } else {
            after_parenthesis = matches!(c, '(' | ')');
            rest = &rest[c.len_utf8()..];
        }
    }
}

fn classify_statement(statement: &str) -> Option<TxStatement> {
    let words: Vec<String> = statement
        .split(|c: char| c.is_whitespace() || c == '(')
        .filter(|w| !w.is_empty())
        .take(3)
        .map(|w| w.to_ascii_uppercase())
        .collect();
    let first = words.first()?.as_str();
    let second = words.get(1).map(String::as_str);
    match (first, second) {
        (
            "BEGIN",
            None
            | Some(
                "TRANSACTION" | "WORK" | "ISOLATION" | "READ" | "NOT" | "DEFERRABLE"
                // SQLite's locking modes.
                | "DEFERRED" | "IMMEDIATE" | "EXCLUSIVE",
            ),
        ) => Some(TxStatement::Begin),
        ("START", Some("TRANSACTION")) => Some(TxStatement::Begin),
        ("COMMIT" | "END", None | Some("TRANSACTION" | "WORK" | "AND")) => {
            Some(TxStatement::Commit)
        }
        ("ROLLBACK" | "ABORT", None | Some("TRANSACTION" | "WORK" | "AND")) => {
            Some(TxStatement::Rollback)
        }
        _ => None,
    }
}

/// Whether `statement`, read so far, is inside the `BEGIN .. END` body of
/// a `CREATE TRIGGER`/`FUNCTION`/`PROCEDURE` or of a PL/SQL block
/// (`DECLARE ..`, or `BEGIN` followed by a statement rather than by the
/// words of a transaction's start).
fn inside_block(statement: &str) -> bool {
    let mut words = statement
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .peekable();
    let Some(first) = words.next() else {
        return false;
    };
    let block = match first.as_str() {
        "CREATE" | "DECLARE" => true,
        "BEGIN" => words.peek().is_some_and(|second| {
            !matches!(
                second.as_str(),
                "TRANSACTION"
                    | "WORK"
                    | "ISOLATION"
                    | "READ"
                    | "NOT"
                    | "DEFERRABLE"
                    | "DEFERRED"
                    | "IMMEDIATE"
                    | "EXCLUSIVE"
            )
        }),
        _ => false,
    };
    if !block {
        return false;
    }
    let mut depth: i32 = i32::from(first == "BEGIN");
    while let Some(word) = words.next() {
        match word.as_str() {
            "BEGIN" | "CASE" => depth += 1,
            // `END IF`, `END LOOP` close what `BEGIN` does not open.
            "END"
                if !words.peek().is_some_and(|next| {
                    matches!(next.as_str(), "IF" | "LOOP" | "WHILE" | "FOR" | "REPEAT")
                }) =>
            {
                depth -= 1
            }
            _ => {}
        }
    }
    depth > 0
}

/// The first statement of `sql` that holds anything, comments removed
/// (`SELECT 1` of `"-- probe\n SELECT 1"`).
pub(crate) fn first_statement(sql: &str) -> Option<String> {
    split_statements(sql).find(|statement| !statement.trim().is_empty())
}

/// Statements of `sql` with comments removed, split on `;` outside quotes.
fn split_statements(sql: &str) -> impl Iterator<Item = String> {
    let mut statements = vec![String::new()];
    let mut chars = sql.chars().peekable();
    let mut quote = None::<char>;
    while let Some(c) = chars.next() {
        let Some(current) = statements.last_mut() else {
            break;
        };
        if let Some(q) = quote {
            current.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '-' if chars.peek() == Some(&'-') => {
                chars.by_ref().find(|&c| c == '\n');
                current.push(' ');
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut previous = ' ';
                chars
                    .by_ref()
                    .find(|&c| std::mem::replace(&mut previous, c) == '*' && c == '/');
                current.push(' ');
            }
            '$' if chars
                .peek()
                .is_some_and(|&c| c == '$' || c.is_alphabetic() || c == '_') =>
            {
                // A dollar-quoted body (`$$ ... $$`, `$fn$ ... $fn$`) is opaque.
                let mut tag = String::from("$");
                while let Some(&c) = chars.peek() {
                    // Not a tag after all (`$name;`, a parameter): what
                    // ends the name is read as text (a `;` ends a statement).
                    if !(c == '$' || c.is_alphanumeric() || c == '_') {
                        break;
                    }
                    tag.push(c);
                    chars.next();
                    if c == '$' {
                        break;
                    }
                }
                current.push_str(&tag);
                if tag.len() >= 2 && tag.ends_with('$') {
                    let mut body = String::new();
                    for c in chars.by_ref() {
                        body.push(c);
                        if body.ends_with(&tag) {
                            break;
                        }
                    }
                }
            }
            // `;` inside a trigger's, a routine's or a PL/SQL block's
            // `BEGIN .. END` ends a statement of the body, not this one.
            ';' if inside_block(current) => current.push(c),
            ';' => statements.push(String::new()),
            '\'' | '"' => {
                quote = Some(c);
                current.push(c);
            }
            _ => current.push(c),
        }
    }
    statements.into_iter().filter(|s| !s.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use TxStatement::*;

    #[test]
    fn writes_to_temporary_tables_do_not_last() {
        let text = "sqlx::query(\"CREATE TEMPORARY TABLE tmp_prices (port TEXT)\");
            conn.execute(\"create temp table if not exists scratch.rows AS SELECT 1\")";
        let temporary = temporary_tables(text);
        assert_eq!(temporary, ["ROWS", "TMP_PRICES"]);
        for sql in [
            "DROP TABLE IF EXISTS tmp_prices;",
            "CREATE TEMPORARY TABLE tmp_prices (port TEXT)",
            "INSERT INTO tmp_prices (port) SELECT port FROM quotes",
            "update rows set n = 2",
            "DELETE FROM tmp_prices",
            "WITH latest AS (SELECT port FROM quotes) INSERT INTO tmp_prices SELECT port FROM latest",
        ] {
            assert!(sql_writes(sql), "{sql}");
            assert!(!sql_writes_lasting(sql, &temporary), "{sql}");
        }
        for sql in [
            "INSERT INTO prices (port) SELECT port FROM tmp_prices",
            "DROP TABLE quotes",
            "INSERT INTO tmp_prices VALUES (1); UPDATE quotes SET n = 1",
            "WITH gone AS (DELETE FROM quotes RETURNING port) INSERT INTO tmp_prices SELECT port FROM gone",
        ] {
            assert!(sql_writes_lasting(sql, &temporary), "{sql}");
        }
    }

    #[test]
    fn reads_transaction_statements() {
        let cases: &[(&str, &[TxStatement])] = &[
            ("BEGIN", &[Begin]),
            ("  begin transaction", &[Begin]),
            ("BEGIN WORK;", &[Begin]),
            ("BEGIN ISOLATION LEVEL SERIALIZABLE", &[Begin]),
            ("START TRANSACTION READ ONLY", &[Begin]),
            ("BEGIN IMMEDIATE", &[Begin]),
            ("begin exclusive transaction", &[Begin]),
            ("-- open it\nBEGIN", &[Begin]),
            ("/* tx */ BEGIN", &[Begin]),
            ("COMMIT", &[Commit]),
            ("commit work", &[Commit]),
            ("END", &[Commit]),
            ("ROLLBACK", &[Rollback]),
            ("ABORT", &[Rollback]),
            ("ROLLBACK TO SAVEPOINT sp1", &[]),
            ("SAVEPOINT sp1", &[]),
            ("RELEASE SAVEPOINT sp1", &[]),
            ("SELECT 'BEGIN'", &[]),
            ("INSERT INTO t VALUES ('a;b')", &[]),
            (
                "BEGIN; INSERT INTO t VALUES (1); COMMIT",
                &[Begin, Work, Commit],
            ),
            ("BEGIN; COMMIT", &[Begin, Commit]),
            (
                "BEGIN; DELETE FROM a WHERE k = $key; INSERT INTO a VALUES ($key); COMMIT",
                &[Begin, Work, Commit],
            ),
            ("BEGIN; PRAGMA foreign_keys = ON; COMMIT", &[Begin, Commit]),
            (
                "BEGIN; SET LOCAL lock_timeout = '1s'; DELETE FROM a; COMMIT",
                &[Begin, Work, Commit],
            ),
            ("BEGIN; UPDATE a SET n = 1; UPDATE b SET n = 2", &[Begin]),
            (
                "BEGIN IMMEDIATE; DELETE FROM a; ROLLBACK; BEGIN; COMMIT",
                &[Begin, Work, Rollback, Begin, Commit],
            ),
            ("DO $$ BEGIN PERFORM 1; END $$", &[]),
            (
                "CREATE FUNCTION f() RETURNS void AS $fn$ BEGIN PERFORM 1; END; $fn$ LANGUAGE plpgsql",
                &[],
            ),
            ("UPDATE t SET x = $1; COMMIT", &[Commit]),
            // Bodies whose `BEGIN .. END` is not a transaction.
            (
                "CREATE TRIGGER no_edit BEFORE UPDATE ON t BEGIN SELECT RAISE(ABORT, 'no'); END;",
                &[],
            ),
            (
                "CREATE TRIGGER t1 AFTER INSERT ON a BEGIN UPDATE b SET n = CASE WHEN n > 0 THEN n END; END; BEGIN; COMMIT",
                &[Begin, Commit],
            ),
            ("BEGIN EXECUTE IMMEDIATE 'DROP TABLE t'; END;", &[]),
            (
                "DECLARE n NUMBER; BEGIN IF n > 0 THEN n := 1; END IF; END;",
                &[],
            ),
            ("CREATE TABLE t (id int); BEGIN; END", &[Begin, Commit]),
            ("", &[]),
        ];
        for (sql, expected) in cases {
            assert_eq!(&transaction_statements(sql), expected, "{sql:?}");
        }
    }

    #[test]
    fn tells_writes_from_reads() {
        for sql in [
            "INSERT INTO t VALUES (1)",
            "  update accounts set balance = 0",
            "DELETE FROM t",
            "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING",
            "INSERT OR IGNORE INTO t VALUES (1)",
            "CREATE TABLE t (id int)",
            "COPY t FROM STDIN",
            "WITH moved AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM moved",
            "WITH picked AS (SELECT id FROM jobs FOR UPDATE SKIP LOCKED) \
             UPDATE jobs SET state = 'running' FROM picked WHERE jobs.id = picked.id",
            "with gone as materialized (\n delete from t returning id) select count(*) from gone",
            "WITH a AS (SELECT 1), b (x) AS (INSERT INTO t VALUES (1) RETURNING x) SELECT * FROM b",
            "SELECT 1; UPDATE t SET x = 1",
            "CALL settle($1)",
            "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE",
        ] {
            assert!(sql_writes(sql), "{sql:?}");
        }
        for sql in [
            "SELECT * FROM t WHERE id = $1 FOR UPDATE",
            "select pg_advisory_xact_lock($1)",
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "WITH x AS (SELECT id FROM t WHERE k = $1 FOR UPDATE) SELECT * FROM x",
            "WITH x AS (SELECT id FROM t) SELECT * FROM x JOIN (SELECT id FROM u FOR UPDATE) y USING (id)",
            "WITH x AS (SELECT id FROM t) SELECT * FROM x FOR NO KEY UPDATE OF x",
            "WITH x AS (SELECT id FROM t WHERE kind IN ('delete', 'update')) SELECT * FROM x",
            "SET LOCAL statement_timeout = 1000",
            "LOCK TABLE t IN EXCLUSIVE MODE",
            "-- lock it\nSELECT 1",
            "BEGIN",
            "",
        ] {
            assert!(!sql_writes(sql), "{sql:?}");
        }
    }

    #[test]
    fn builtin_drivers_parse() {
        let vocabulary = Drivers::builtin().typescript();
        assert!(vocabulary.drivers.iter().any(|d| d.name == "pg"));
        assert_eq!(
            vocabulary.call_effect("connect", 0, &[]).map(|c| c.effect),
            Some(Effect::Acquire)
        );
        let rust = Drivers::builtin().rust();
        assert_eq!(
            rust.call_effect("transaction", 0, &[]).map(|c| c.effect),
            Some(Effect::BeginObject)
        );
        assert!(
            rust.call_effect("transaction", 1, &[]).is_none(),
            "diesel's closure form"
        );
        assert!(rust.call_effect("start", 0, &[]).is_none());
        assert!(
            rust.call_effect("start", 0, &["build_transaction"])
                .is_some()
        );
        assert!(rust.is_sql_function("sqlx::query"));
        let words = |language| Drivers::builtin().prefilter_words(language);
        let typescript = words(Language::TypeScript {
            tsx: false,
            declaration: false,
        });
        assert_eq!(
            typescript.alone,
            vec![
                "begin",
                "createqueryrunner",
                "pool(",
                "release",
                "start transaction",
                "transaction(",
                "transaction.start(",
                "transaction.start::<",
                "transaction.start<",
                "transaction::<",
                "transaction<",
                "txlint-ignore"
            ]
        );
        assert_eq!(
            typescript.paired,
            vec!["@vercel/postgres", "datasource", "pool", "transaction"]
        );
        assert_eq!(
            typescript.partners,
            vec!["abort", "commit", "connect(", "getconnection(", "rollback"]
        );
        let rust = words(Language::Rust);
        assert_eq!(
            rust.alone,
            vec![
                "begin",
                "build_transaction",
                "start transaction",
                "transaction(",
                "transaction::<",
                "transaction<",
                "transaction_with_behavior(",
                "transaction_with_behavior::<",
                "transaction_with_behavior<",
                "txlint-ignore"
            ]
        );
        assert_eq!(rust.paired, vec!["pool", "transaction"]);
        assert_eq!(rust.partners, vec!["abort", "commit", "rollback"]);
        assert!(vocabulary.is_pool_name("this.readPool"));
        assert!(vocabulary.is_pool_name("this.dataSource"));
        assert!(!vocabulary.is_pool_name("poolClient"));
        assert!(!vocabulary.is_pool_name("this.pooledConnection"));
        assert!(!vocabulary.is_pool_name("client"));
        assert!(!vocabulary.is_pool_name("mempool_tx"));
        assert!(!vocabulary.is_pool_name("poolTx"));
        assert!(!vocabulary.is_pool_name("this.poolTransaction"));
        assert!(vocabulary.is_pool_name("txPool"));
        assert!(vocabulary.is_pool_name("pgPool"));
        assert_eq!(identifier_words("mempool_tx"), ["mempool", "tx"]);
        assert_eq!(identifier_words("readPoolTX"), ["read", "pool", "tx"]);
    }
}
