//! Driver vocabularies: which calls acquire, begin, commit, roll back and
//! release, per driver, as data (`rules/drivers/*.toml`, compiled in). Also
//! reads transaction statements out of SQL text.

use std::sync::OnceLock;

use serde::Deserialize;

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
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SqlCalls {
    #[serde(default)]
    pub methods: Vec<String>,
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
}

/// Every driver's vocabulary for one language, merged for lookups.
#[derive(Debug, Default)]
pub(crate) struct Vocabulary {
    pub drivers: Vec<Driver>,
}

const BUILTIN: &[(&str, &str)] = &[
    ("pg.toml", include_str!("../rules/drivers/pg.toml")),
    ("mysql2.toml", include_str!("../rules/drivers/mysql2.toml")),
];

impl Vocabulary {
    /// The compiled-in vocabulary for TypeScript/JavaScript.
    pub fn typescript() -> &'static Vocabulary {
        static VOCABULARY: OnceLock<Vocabulary> = OnceLock::new();
        VOCABULARY.get_or_init(|| Vocabulary::builtin("typescript"))
    }

    fn builtin(language: &str) -> Vocabulary {
        let drivers = BUILTIN
            .iter()
            .map(|(file, text)| {
                toml::from_str::<Driver>(text)
                    .unwrap_or_else(|err| panic!("built-in driver {file} is invalid: {err}"))
            })
            .filter(|d| d.language == language)
            .collect();
        Vocabulary { drivers }
    }

    pub fn call_effect(&self, method: &str) -> Option<&CallEffect> {
        self.drivers
            .iter()
            .flat_map(|d| &d.calls)
            .find(|c| c.method == method)
    }

    pub fn is_sql_method(&self, method: &str) -> bool {
        self.drivers
            .iter()
            .any(|d| d.sql.methods.iter().any(|m| m == method))
    }

    /// Whether a variable or field named `name` looks like a pool.
    pub fn is_pool_name(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        self.drivers
            .iter()
            .flat_map(|d| &d.pool.names)
            .any(|n| name.contains(n.as_str()))
    }

    pub fn is_pool_factory(&self, function: &str) -> bool {
        self.drivers
            .iter()
            .flat_map(|d| &d.pool.factories)
            .any(|f| f == function)
    }

    pub fn is_pool_constructor(&self, class: &str) -> bool {
        self.drivers
            .iter()
            .flat_map(|d| &d.pool.constructors)
            .any(|c| c == class)
    }
}

/// A transaction boundary found in SQL text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TxStatement {
    Begin,
    Commit,
    Rollback,
}

/// The transaction boundaries in `sql`, statement by statement. `SAVEPOINT`
/// and `ROLLBACK TO SAVEPOINT` are not boundaries.
pub(crate) fn transaction_statements(sql: &str) -> Vec<TxStatement> {
    split_statements(sql)
        .filter_map(|statement| classify_statement(&statement))
        .collect()
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
            None | Some("TRANSACTION" | "WORK" | "ISOLATION" | "READ" | "NOT" | "DEFERRABLE"),
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
            '$' if chars.peek() == Some(&'$') => {
                // A dollar-quoted body (`DO $$ BEGIN ... END $$`) is opaque.
                chars.next();
                let mut previous = ' ';
                chars
                    .by_ref()
                    .find(|&c| std::mem::replace(&mut previous, c) == '$' && c == '$');
                current.push_str("$$");
            }
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
    fn reads_transaction_statements() {
        let cases: &[(&str, &[TxStatement])] = &[
            ("BEGIN", &[Begin]),
            ("  begin transaction", &[Begin]),
            ("BEGIN WORK;", &[Begin]),
            ("BEGIN ISOLATION LEVEL SERIALIZABLE", &[Begin]),
            ("START TRANSACTION READ ONLY", &[Begin]),
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
            ("BEGIN; INSERT INTO t VALUES (1); COMMIT", &[Begin, Commit]),
            ("DO $$ BEGIN PERFORM 1; END $$", &[]),
            ("", &[]),
        ];
        for (sql, expected) in cases {
            assert_eq!(&transaction_statements(sql), expected, "{sql:?}");
        }
    }

    #[test]
    fn builtin_drivers_parse() {
        let vocabulary = Vocabulary::typescript();
        assert!(vocabulary.drivers.iter().any(|d| d.name == "pg"));
        assert_eq!(
            vocabulary.call_effect("connect").map(|c| c.effect),
            Some(Effect::Acquire)
        );
        assert!(vocabulary.is_pool_name("this.readPool"));
        assert!(!vocabulary.is_pool_name("client"));
    }
}
