//! What a function's name says it does, for calls of code txlint does not
//! read: the verb that leads the name, or one of its `or`/`and` clauses
//! (`get_or_create_tag`, `fetchAndRelease`). Elsewhere a word names a thing:
//! `state_update` and `getUpdateCount` are getters.

/// Verbs of a function that only reads through what it is given.
const READS: &[&str] = &[
    "get", "is", "has", "find", "fetch", "select", "load", "list", "count", "read", "exists",
    "lookup", "query", "check", "search", "all", "can", "enforce", "verify", "validate",
];

/// Verbs of a function that writes.
const WRITES: &[&str] = &[
    "create",
    "insert",
    "update",
    "delete",
    "upsert",
    "save",
    "set",
    "remove",
    "write",
    "add",
    "put",
    "mark",
    "record",
    "store",
    "bump",
    "incr",
    "increment",
    "decrement",
    "touch",
    "lock",
    "claim",
    "apply",
];

/// Last words of a name that asks a question of what is stored
/// (`download_count`, `slug_exists`).
const READ_SUFFIXES: &[&str] = &["count", "exists"];

/// Verbs of a function that ends or takes what it is given.
const ENDS: &[&str] = &[
    "release", "commit", "rollback", "end", "close", "finish", "dispose", "destroy", "abort",
    "done", "connect",
];

/// Whether a function's name says it only reads (`get_user`, `is_member`,
/// `findById`, `repo.list`, `download_count`): a transaction lent to it is
/// not written through, and a client handed to it comes back. A name that
/// also says it writes or ends something (`get_or_create_user`,
/// `fetchAndRelease`, `increment_count`) does not count.
pub(crate) fn named_as_read(name: &str) -> bool {
    let words = words(name);
    let asks = words.len() > 1
        && words
            .last()
            .is_some_and(|last| READ_SUFFIXES.contains(&last.as_str()));
    (words
        .first()
        .is_some_and(|first| READS.contains(&first.as_str()))
        || asks)
        && !leads_a_clause(&words, WRITES)
        && !leads_a_clause(&words, ENDS)
}

/// Whether a function's name says it writes (`insert_block`,
/// `get_or_create_tag`, `find_and_update`), as Rust's getters, which take
/// no `get_`, are named for what they return (`state_update`).
pub(crate) fn named_as_write(name: &str) -> bool {
    leads_a_clause(&words(name), WRITES)
}

/// Whether one of `verbs` leads the name or one of its `or`/`and` clauses.
fn leads_a_clause(words: &[String], verbs: &[&str]) -> bool {
    words.iter().enumerate().any(|(at, word)| {
        verbs.contains(&word.as_str())
            && (at == 0 || matches!(words[at - 1].as_str(), "or" | "and"))
    })
}

/// The words of a snake_case or camelCase name, lowercased.
fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in name.chars() {
        if (c == '_' || c.is_ascii_uppercase()) && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        if c != '_' {
            word.push(c.to_ascii_lowercase());
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_is_named_by_the_verb_that_leads_the_name() {
        for writes in [
            "insert_block",
            "update",
            "get_or_create_tag",
            "find_and_update",
            "getOrCreate",
        ] {
            assert!(named_as_write(writes), "{writes}");
        }
        for reads in [
            "state_update",
            "highest_block_with_state_update",
            "get_or_default",
            "block_header",
            "getUpdateCount",
        ] {
            assert!(!named_as_write(reads), "{reads}");
        }
    }

    #[test]
    fn a_read_is_named_by_its_verb_and_nothing_that_writes_or_ends() {
        for reads in [
            "find_by_update_time",
            "findById",
            "list",
            "readExecutedGtid",
            "loadPermissions",
            "enforce_boards_per_owner",
            "download_count",
            "slugExists",
        ] {
            assert!(named_as_read(reads), "{reads}");
        }
        for other in [
            "get_or_insert",
            "fetchAndRelease",
            "getOrConnect",
            "insertRow",
            "save",
            "increment_count",
            "record_exists",
        ] {
            assert!(!named_as_read(other), "{other}");
        }
    }
}
