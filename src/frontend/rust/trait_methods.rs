//! What a project's trait methods do where the project implements them for
//! a database handle (`impl TourStore for PgStore` whose `tour_get` sends a
//! `SELECT`), read from the text of its files without parsing them. A
//! domain layer generic over those traits (`store: &mut impl TourStore`)
//! calls them without naming the type that runs them: this tells its
//! lowering whether `store.tour_get(id)` reads or writes.

use std::collections::{HashMap, HashSet};

use crate::drivers::{first_statement, sql_writes};

/// What every implementation of a trait method does with the handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MethodEffect {
    /// Its statements only read (or lock).
    Reads,
    /// One of its statements may change data.
    Writes,
}

/// The trait methods of a workspace, read from its files' text.
#[derive(Debug, Default)]
pub(crate) struct TraitMethods {
    /// Traits implemented for a type one of whose trait methods sends SQL
    /// (`Store`, `TourStore` of `PgStore`): a parameter bounded by one of
    /// them is a database handle.
    pub traits: HashSet<String>,
    /// By method name, what its implementations for those types do; left
    /// out when one of them sends nothing readable (a query built by a
    /// builder, a text from elsewhere).
    pub methods: HashMap<String, MethodEffect>,
}

/// A method of an `impl Trait for Type` block, as its text shows it.
struct ImplMethod {
    self_type: String,
    name: String,
    /// What its own SQL literals do; `None` when it has none.
    sql: Option<MethodEffect>,
    /// The methods it calls on `self` (`self.tour_get(id)`).
    self_calls: Vec<String>,
}

/// Gathers `impl Trait for Type` blocks file by file.
#[derive(Default)]
pub(crate) struct TraitMethodsReader {
    implemented: Vec<(String, String)>,
    methods: Vec<ImplMethod>,
}

impl TraitMethodsReader {
    /// Read one file's text: the header of each `impl` item, and the
    /// methods of a trait's when the file may hold a statement.
    pub fn read(&mut self, text: &str) {
        let bytes = text.as_bytes();
        if memchr::memmem::find(bytes, b" for ").is_none() {
            return;
        }
        let statements = may_hold_sql(bytes);
        // Past the end of the last block read: an `impl` inside it was read.
        let mut read_to = 0;
        for at in memchr::memmem::find_iter(bytes, b"impl") {
            let line = text[..at].rsplit('\n').next().unwrap_or_default().trim();
            if at < read_to || !(line.is_empty() || line == "unsafe" || line.ends_with(']')) {
                continue;
            }
            let Some(open) = text[at..].find(['{', ';']).map(|end| at + end) else {
                break;
            };
            let header = tokens(&text[at..open.min(at + 400)], false).0;
            if header.first() != Some(&Token::Ident("impl")) {
                continue;
            }
            let Some(self_type) = self.implemented_in(&header[1..]) else {
                continue;
            };
            if statements && bytes[open] == b'{' {
                let (block, end) = tokens(&text[open..], true);
                self.methods_in(self_type, &block);
                read_to = open + end;
            }
        }
    }

    /// Note the methods of the block (its braces included) of an `impl`
    /// of a trait for `self_type`.
    fn methods_in(&mut self, self_type: &str, block: &[Token]) {
        let close = block.len().saturating_sub(1);
        let mut i = 1;
        while i < close {
            if block[i] == Token::Ident("fn")
                && let Some(Token::Ident(name)) = block.get(i + 1)
            {
                let Some(body) =
                    (i..close).find(|&j| matches!(block[j], Token::Open('{') | Token::Punct(';')))
                else {
                    break;
                };
                if block[body] != Token::Open('{') {
                    i = body + 1;
                    continue;
                }
                let end = closing(block, body);
                self.methods
                    .push(method(self_type, name, &block[body..end]));
                i = end;
            } else {
                i += 1;
            }
        }
    }

    /// Note the trait and type an `impl` header (past `impl`) names, if it
    /// is a trait's; the type's name.
    fn implemented_in<'t>(&mut self, header: &[Token<'t>]) -> Option<&'t str> {
        let for_at = top_level(header).find(|&i| header[i] == Token::Ident("for"))?;
        let trait_name = last_name(&header[..for_at])?;
        let self_type = last_name(&header[for_at + 1..])?;
        self.implemented
            .push((trait_name.to_string(), self_type.to_string()));
        Some(self_type)
    }

    /// What the files read say: a method's effect follows the `self`
    /// calls it makes to other trait methods of its type.
    pub fn finish(self) -> TraitMethods {
        let handles: HashSet<&str> = self
            .methods
            .iter()
            .filter(|m| m.sql.is_some())
            .map(|m| m.self_type.as_str())
            .collect();
        let traits = self
            .implemented
            .iter()
            .filter(|(_, self_type)| handles.contains(self_type.as_str()))
            .map(|(trait_name, _)| trait_name.clone())
            .collect();
        let of_handles: Vec<&ImplMethod> = self
            .methods
            .iter()
            .filter(|m| handles.contains(m.self_type.as_str()))
            .collect();
        // Unknown (`None`) where no SQL was read; a call of another trait
        // method of the type adds what that one does, until nothing changes.
        let mut effects: Vec<Option<MethodEffect>> = of_handles.iter().map(|m| m.sql).collect();
        let mut by_type_and_name: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (index, method) in of_handles.iter().enumerate() {
            by_type_and_name
                .entry((&method.self_type, &method.name))
                .or_default()
                .push(index);
        }
        loop {
            let mut changed = false;
            for (index, method) in of_handles.iter().enumerate() {
                for called in &method.self_calls {
                    let key = (method.self_type.as_str(), called.as_str());
                    for &other in by_type_and_name.get(&key).into_iter().flatten() {
                        let joined = join(effects[index], effects[other]);
                        if joined != effects[index] {
                            effects[index] = joined;
                            changed = true;
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }
        let mut by_name: HashMap<String, Option<MethodEffect>> = HashMap::new();
        for (method, effect) in of_handles.iter().zip(effects) {
            by_name
                .entry(method.name.clone())
                .and_modify(|known| *known = join(*known, effect))
                .or_insert(effect);
        }
        TraitMethods {
            traits,
            methods: by_name
                .into_iter()
                .filter_map(|(name, effect)| Some((name, effect?)))
                .collect(),
        }
    }
}

/// Whether a file's text may hold a statement: a cheap test that spares
/// reading the methods of most files.
fn may_hold_sql(text: &[u8]) -> bool {
    const WORDS: &[&[u8]] = &[
        b"SELECT", b"INSERT", b"UPDATE", b"DELETE", b"select ", b"insert ", b"update ", b"delete ",
    ];
    WORDS
        .iter()
        .any(|word| memchr::memmem::find(text, word).is_some())
}

/// Two implementations, or a method and one it calls: unknown if either
/// is, else a write if either writes.
fn join(a: Option<MethodEffect>, b: Option<MethodEffect>) -> Option<MethodEffect> {
    match (a?, b?) {
        (MethodEffect::Reads, MethodEffect::Reads) => Some(MethodEffect::Reads),
        _ => Some(MethodEffect::Writes),
    }
}

/// A method of type `self_type` named `name`, from its body's tokens.
fn method(self_type: &str, name: &str, body: &[Token]) -> ImplMethod {
    let mut sql = None;
    let mut self_calls = Vec::new();
    for (at, token) in body.iter().enumerate() {
        match token {
            Token::Str(text) if looks_like_sql(text) => {
                let effect = match sql_writes(text) {
                    true => MethodEffect::Writes,
                    false => MethodEffect::Reads,
                };
                sql = join(Some(sql.unwrap_or(effect)), Some(effect));
            }
            Token::Ident("self") => {
                if let (
                    Some(Token::Punct('.')),
                    Some(Token::Ident(called)),
                    Some(Token::Open('(')),
                ) = (body.get(at + 1), body.get(at + 2), body.get(at + 3))
                {
                    self_calls.push(called.to_string());
                }
            }
            _ => {}
        }
    }
    ImplMethod {
        self_type: self_type.to_string(),
        name: name.to_string(),
        sql,
        self_calls,
    }
}

/// Whether a string literal is a statement: past its leading comments
/// (`--sql`) and line continuations, it starts with a keyword that starts
/// one.
fn looks_like_sql(text: &str) -> bool {
    const STARTS: &[&str] = &[
        "SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE", "CREATE",
        "ALTER", "DROP", "TRUNCATE", "COPY", "CALL", "VALUES",
    ];
    let Some(statement) = first_statement(text) else {
        return false;
    };
    let statement = statement.trim_start_matches(|c: char| c.is_whitespace() || c == '\\');
    let first = statement
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default();
    STARTS.iter().any(|start| first.eq_ignore_ascii_case(start)) && statement.len() > first.len()
}

/// The positions of `header` outside `<..>`.
fn top_level<'h>(header: &'h [Token<'h>]) -> impl Iterator<Item = usize> + 'h {
    let mut depth = 0i32;
    (0..header.len()).filter(move |&i| {
        match header[i] {
            Token::Punct('<') => depth += 1,
            Token::Punct('>') if i > 0 && header[i - 1] == Token::Punct('-') => {}
            Token::Punct('>') => depth -= 1,
            _ => {}
        }
        depth == 0
    })
}

/// The last name of the path in `tokens` outside `<..>` (`tours::Store`,
/// `PgStore<'c>`).
fn last_name<'t>(tokens: &[Token<'t>]) -> Option<&'t str> {
    let mut depth = 0i32;
    let mut last = None;
    for token in tokens {
        match token {
            Token::Punct('<') => depth += 1,
            Token::Punct('>') => depth -= 1,
            Token::Ident(name) if depth == 0 && *name != "dyn" => last = Some(*name),
            Token::Ident("where") if depth == 0 => break,
            _ => {}
        }
    }
    last.filter(|name| name.starts_with(|c: char| c.is_ascii_uppercase()))
}

/// The position of the token that closes the one opened at `open`.
fn closing(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    for (at, token) in tokens.iter().enumerate().skip(open) {
        match token {
            Token::Open(_) => depth += 1,
            Token::Close(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return at;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token<'t> {
    Ident(&'t str),
    /// A string literal's text, escapes left as written.
    Str(&'t str),
    Open(char),
    Close(char),
    Punct(char),
}

/// The tokens of Rust source text, as far as the reading above needs
/// them: comments, character literals and lifetimes dropped, so that no
/// brace inside them counts. With `one_block`, the text starts with a
/// bracket and only the tokens up to the one that closes it are read.
/// Also returns where reading stopped.
fn tokens(text: &str, one_block: bool) -> (Vec<Token<'_>>, usize) {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut depth = 0usize;
    let mut at = 0;
    while at < bytes.len() {
        if one_block && depth == 0 && !found.is_empty() {
            break;
        }
        let c = bytes[at];
        match c {
            b'/' if bytes.get(at + 1) == Some(&b'/') => {
                at = text[at..].find('\n').map_or(bytes.len(), |end| at + end);
            }
            b'/' if bytes.get(at + 1) == Some(&b'*') => {
                let mut depth = 0usize;
                while at < bytes.len() {
                    if bytes[at..].starts_with(b"/*") {
                        depth += 1;
                        at += 2;
                    } else if bytes[at..].starts_with(b"*/") {
                        depth -= 1;
                        at += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        at += 1;
                    }
                }
            }
            b'"' => {
                let end = string_end(bytes, at + 1);
                found.push(Token::Str(&text[at + 1..end.saturating_sub(1).max(at + 1)]));
                at = end;
            }
            b'\'' => {
                // `'x'`, `'\n'`, `'\u{7b}'`; otherwise a lifetime or label.
                let next = text[at + 1..].chars().next();
                let after = next.map(|n| at + 1 + n.len_utf8());
                if next == Some('\\') {
                    at = text[at + 2..]
                        .find('\'')
                        .map_or(bytes.len(), |end| at + 2 + end + 1);
                } else if after.is_some_and(|after| bytes.get(after) == Some(&b'\'')) {
                    at = after.unwrap_or(bytes.len()) + 1;
                } else {
                    at += 1;
                    while at < bytes.len() && is_ident_byte(bytes[at]) {
                        at += 1;
                    }
                }
            }
            b'{' | b'(' | b'[' => {
                found.push(Token::Open(c as char));
                depth += 1;
                at += 1;
            }
            b'}' | b')' | b']' => {
                found.push(Token::Close(c as char));
                depth = depth.saturating_sub(1);
                at += 1;
            }
            c if is_ident_byte(c) => {
                let start = at;
                while at < bytes.len() && is_ident_byte(bytes[at]) {
                    at += 1;
                }
                let word = &text[start..at];
                // `r"..."`, `r#"..."#`, `br"..."`, `b"..."`, `c"..."`.
                let raw =
                    matches!(word, "r" | "br" | "cr") && matches!(bytes.get(at), Some(b'"' | b'#'));
                if raw {
                    let hashes = bytes[at..].iter().take_while(|&&b| b == b'#').count();
                    let open = at + hashes;
                    if bytes.get(open) == Some(&b'"') {
                        let closer = format!("\"{}", "#".repeat(hashes));
                        let end = text[open + 1..]
                            .find(&closer)
                            .map_or(bytes.len(), |end| open + 1 + end);
                        found.push(Token::Str(&text[open + 1..end]));
                        at = (end + closer.len()).min(bytes.len());
                        continue;
                    }
                }
                if matches!(word, "b" | "c") && bytes.get(at) == Some(&b'"') {
                    let end = string_end(bytes, at + 1);
                    found.push(Token::Str(&text[at + 1..end.saturating_sub(1).max(at + 1)]));
                    at = end;
                    continue;
                }
                found.push(Token::Ident(word));
            }
            c if c.is_ascii_whitespace() => at += 1,
            c => {
                found.push(Token::Punct(c as char));
                at += 1;
            }
        }
    }
    (found, at)
}

/// Where the string literal whose text starts at `at` ends: past its
/// closing quote.
fn string_end(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    bytes.len()
}

fn is_ident_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORE: &str = r##"
use crate::PgStore;

/// Braces in comments { and strings "}" do not count.
#[async_trait::async_trait]
impl<'c> tours::TourStore for PgStore<'c> {
    async fn tour_get(&mut self, id: TourId) -> TourResult<Tour> {
        let _brace = '{';
        sqlx::query_as::<_, TourRow>("-- one tour
         SELECT * FROM tours WHERE id = $1")
            .fetch_one(&mut **self.inner()).await.map(Into::into).map_err(database)
    }

    async fn tour_insert(&mut self, title: &str) -> TourResult<Tour> {
        sqlx::query_as!(TourRow, r#"INSERT INTO tours (title) VALUES ($1) RETURNING *"#, title)
            .fetch_one(&mut **self.inner()).await.map_err(database)
    }

    async fn tour_get_or_insert(&mut self, title: &str) -> TourResult<Tour> {
        if let Some(tour) = sqlx::query_as("SELECT * FROM tours WHERE title = $1").fetch_optional(&mut **self.inner()).await? {
            return Ok(tour);
        }
        self.tour_insert(title).await
    }

    async fn tour_search(&mut self, query: &Query) -> TourResult<Vec<Tour>> {
        let sql = query.to_sql();
        sqlx::query_as(&sql).fetch_all(&mut **self.inner()).await.map_err(database)
    }
}

impl<'c> tours::Store for PgStore<'c> {
    async fn commit(self) -> TourResult<()> { self.0.commit().await.map_err(database) }
}

impl tours::TourStore for MemoryStore {
    async fn tour_get(&mut self, id: TourId) -> TourResult<Tour> { Ok(self.tours[&id].clone()) }
}

fn render() -> impl Display for Nothing { todo!() }
"##;

    #[test]
    fn trait_methods_of_a_handle_are_known_by_their_sql() {
        let mut reader = TraitMethodsReader::default();
        reader.read(STORE);
        let read = reader.finish();
        let mut traits: Vec<&str> = read.traits.iter().map(String::as_str).collect();
        traits.sort();
        assert_eq!(traits, ["Store", "TourStore"]);
        assert_eq!(read.methods.get("tour_get"), Some(&MethodEffect::Reads));
        assert_eq!(read.methods.get("tour_insert"), Some(&MethodEffect::Writes));
        assert_eq!(
            read.methods.get("tour_get_or_insert"),
            Some(&MethodEffect::Writes)
        );
        assert_eq!(read.methods.get("tour_search"), None);
        assert_eq!(read.methods.get("commit"), None);
    }

    #[test]
    fn a_file_without_statements_still_names_the_traits_its_types_implement() {
        let mut reader = TraitMethodsReader::default();
        reader.read(STORE);
        reader.read("/// The store's own.\nimpl<'c> tours::Ledger for PgStore<'c> {\n    fn close(self) { self.0.commit() }\n}\n");
        assert!(reader.finish().traits.contains("Ledger"));
    }

    #[test]
    fn implementations_that_disagree_are_a_write() {
        let mut reader = TraitMethodsReader::default();
        reader.read("impl Ledger for Pg {\n fn entry(&self) { q(\"SELECT 1 FROM t\") }\n}\n");
        reader.read("impl Ledger for Lite {\n fn entry(&self) { q(\"UPDATE t SET n = 1\") }\n}\n");
        assert_eq!(
            reader.finish().methods.get("entry"),
            Some(&MethodEffect::Writes)
        );
    }
}
