//! SQL text and what it does: text read through locals, `format!` and
//! joined lists; statements that begin, end or write; zero-row tests.

use super::*;

impl<'a> Lowerer<'a> {
    /// The SQL text a name holds: a local bound to text, a statement
    /// prepared from it, or a `const` of the file.
    fn text_named(&self, name: &str) -> Option<String> {
        self.local_texts
            .get(name)
            .cloned()
            .or_else(|| self.prepared.get(name).and_then(|(_, sql)| sql.clone()))
            .or_else(|| self.file.const_text(name))
    }

    /// The SQL text of an expression, where it can be read: a literal, a
    /// `const` of the file, a local bound to one (also through `if` or
    /// `match` arms that agree on the statement they start), the literal
    /// part of a `format!`, or a local vector of statements joined.
    pub(super) fn sql_text(&self, expr: &Expr) -> Option<String> {
        match peel(expr) {
            Expr::Path(path) => match path.path.get_ident() {
                Some(name) => self.text_named(&name.to_string()),
                None => self.file.sql_text(expr),
            },
            Expr::Reference(reference) => self.sql_text(&reference.expr),
            Expr::MethodCall(call) => match call.method.to_string().as_str() {
                "as_str" | "to_string" | "to_owned" | "into" | "as_ref" | "clone"
                    if call.args.is_empty() =>
                {
                    self.sql_text(&call.receiver)
                }
                "join" | "concat" => {
                    let list = self.local_lists.get(&place_of(&call.receiver)?)?;
                    let separator = match call.args.first() {
                        Some(separator) => string_literal(separator)?,
                        None => String::new(),
                    };
                    // Statements joined without `;` still run one by one.
                    let separator = if separator.contains(';') {
                        separator
                    } else {
                        format!(";{separator}")
                    };
                    Some(list.join(&separator))
                }
                _ => None,
            },
            Expr::Call(call)
                if path_text(&call.func).is_some_and(|f| f.ends_with("String::from")) =>
            {
                self.sql_text(call.args.first()?)
            }
            // A buffer the text is pushed onto (see `append_text`).
            Expr::Call(call)
                if path_text(&call.func).is_some_and(|f| {
                    f.ends_with("String::new") || f.ends_with("String::with_capacity")
                }) =>
            {
                Some(String::new())
            }
            // Its placeholders filled with the text of what they name
            // where that can be read (`format!("{SELECT} WHERE id = $1")`
            // of a `const`), else left out.
            Expr::Macro(mac) if macro_name(&mac.mac) == "format" => {
                let arguments: Vec<Expr> = match mac.mac.parse_body_with(
                    syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated,
                ) {
                    Ok(arguments) => arguments.into_iter().collect(),
                    Err(_) => vec![mac.mac.parse_body_with(first_macro_argument).ok()?],
                };
                let template = string_literal(arguments.first()?)?;
                let arguments = &arguments[1..];
                let mut next_position = 0;
                let mut filled = Vec::new();
                let text = fill_placeholders(&template, |key| {
                    let text = if key.is_empty() || key.bytes().all(|b| b.is_ascii_digit()) {
                        let position = match key {
                            "" => {
                                next_position += 1;
                                Some(next_position - 1)
                            }
                            number => number.parse::<usize>().ok(),
                        };
                        position
                            .and_then(|at| arguments.get(at))
                            .and_then(|argument| self.sql_text(argument))
                    } else {
                        // `{SELECT}`: a named argument, else a variable or
                        // `const` in scope.
                        let named = arguments.iter().find_map(|argument| match argument {
                            Expr::Assign(assign)
                                if place_of(&assign.left).as_deref() == Some(key) =>
                            {
                                Some(&*assign.right)
                            }
                            _ => None,
                        });
                        match named {
                            Some(value) => self.sql_text(value),
                            None => self.text_named(key),
                        }
                    };
                    filled.push(text.is_some());
                    text
                });
                // `format!("{} END;", part)`: a statement that starts with
                // what cannot be read is that part's, whatever follows.
                let template = template.trim_start();
                if template.starts_with('{')
                    && !template.starts_with("{{")
                    && filled.first() == Some(&false)
                {
                    return None;
                }
                (!text.trim().is_empty()).then_some(text)
            }
            Expr::If(if_expr) => {
                let then_text = match if_expr.then_branch.stmts.last()? {
                    Stmt::Expr(tail, None) => self.sql_text(tail)?,
                    _ => return None,
                };
                let (_, else_branch) = if_expr.else_branch.as_ref()?;
                let else_text = self.sql_text(else_branch)?;
                agreeing([then_text, else_text])
            }
            Expr::Block(block) => match block.block.stmts.last()? {
                Stmt::Expr(tail, None) => self.sql_text(tail),
                _ => None,
            },
            Expr::Match(match_expr) => agreeing(
                match_expr
                    .arms
                    .iter()
                    .map(|arm| self.sql_text(&arm.body))
                    .collect::<Option<Vec<_>>>()?,
            ),
            other => string_literal(other),
        }
    }

    /// `vec!["BEGIN", ..]` or `Vec::new()`: a list of statements to push to.
    pub(super) fn statement_list(&self, expr: &Expr) -> Option<Vec<String>> {
        match peel(expr) {
            Expr::Call(call)
                if path_text(&call.func)
                    .is_some_and(|f| f == "Vec::new" || f == "Vec::with_capacity") =>
            {
                Some(Vec::new())
            }
            Expr::Macro(mac) if macro_name(&mac.mac) == "vec" => {
                let items = mac
                    .mac
                    .parse_body_with(
                        syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated,
                    )
                    .ok()?;
                items.iter().map(|item| self.sql_text(item)).collect()
            }
            _ => None,
        }
    }

    /// `sql.push_str(piece)`, `sql += piece` on a local holding text: the
    /// piece's text, or `?` for a value only known when it runs (a name, a
    /// number), as a bound parameter would stand.
    pub(super) fn append_text(&mut self, local: &str, piece: &Expr) {
        let text = self.sql_text(piece).unwrap_or_else(|| "?".to_string());
        if let Some(held) = self.local_texts.get_mut(local) {
            held.push_str(&text);
        }
    }

    /// Transaction statements sent on `place`: ends take effect at once,
    /// a `BEGIN` only once the call succeeded.
    pub(super) fn run_sql(&mut self, place: &str, sql: &str, span: Span) -> Value {
        let mut statements = transaction_statements(sql);
        // A pool's name rebound to what it handed out (`let mut pool =
        // pool.begin().await?`) is no pool.
        if self.is_pool(place) {
            // `pool.execute("BEGIN")`: transaction statements on a pool.
            let handle = self.builder.handle(place);
            self.builder.mark_pool(handle);
            // A whole `BEGIN; ..; COMMIT;` script in one call runs on one
            // connection.
            if whole_transaction(&statements) {
                statements.clear();
            }
        }
        if self.file.scripts_end_themselves && whole_transaction(&statements) {
            statements.clear();
        }
        self.event(EventKind::Use, place, span);
        if statements.contains(&TxStatement::Begin) && self.closes_on_drop(place) {
            // Its error exits drop it, closing the connection and with it
            // the transaction.
            let handle = self.builder.handle(place);
            self.builder.set_drop_behaviour(handle, true, false);
        }
        let begins = statements.last() == Some(&TxStatement::Begin);
        let writes = !begins && sql_writes_lasting(sql, &self.file.temporary_tables);
        // `CREATE EXTENSION IF NOT EXISTS ..` sent through the pool beside
        // a transaction sets up what it needs: nothing a rollback of the
        // transaction should undo.
        if writes && idempotent_setup(sql) {
            let handle = self.builder.handle(place);
            self.builder.event(EventKind::Write, handle, span);
        } else if writes {
            self.event(EventKind::Write, place, span);
        }
        let discarded = std::mem::take(&mut self.commit_result_discarded);
        for statement in &statements {
            match statement {
                // `conn.execute("COMMIT", []).ok();`: where it failed, the
                // transaction was not committed, and nobody asks.
                TxStatement::Commit
                    if discarded && statements.len() == 1 && self.returns_result =>
                {
                    self.commit_or_discarded(place, span, |this| {
                        this.event(EventKind::Commit, place, span);
                    });
                }
                TxStatement::Commit => self.event(EventKind::Commit, place, span),
                TxStatement::Rollback => self.event(EventKind::Rollback, place, span),
                TxStatement::Begin if begins => {}
                TxStatement::Begin => self.event(EventKind::Begin, place, span),
                TxStatement::Work => {}
            }
        }
        if statements.contains(&TxStatement::Work) {
            Value::Script {
                place: place.to_string(),
                span,
            }
        } else if begins {
            Value::Begins {
                place: place.to_string(),
                span,
            }
        } else if writes {
            Value::Wrote {
                place: place.to_string(),
                spans: vec![span],
            }
        } else {
            Value::Nothing
        }
    }

    /// Whether a method chain starts from a statement built by the
    /// driver's SQL function (`sqlx::query(sql).bind(id)`), whether or not
    /// its text can be read.
    pub(super) fn builds_statement(&self, expr: &Expr) -> bool {
        let vocabulary = self.file.vocabulary;
        match peel(expr) {
            Expr::MethodCall(call) => self.builds_statement(&call.receiver),
            Expr::Call(call) => path_text(&call.func).is_some_and(|function| {
                vocabulary.is_sql_function(function.split("::<").next().unwrap_or(&function))
            }),
            Expr::Macro(mac) => {
                vocabulary.is_sql_function(&format!("{}!", path_string(&mac.mac.path)))
            }
            _ => false,
        }
    }

    /// The statement a method chain starts from when it is a local built
    /// earlier (`q.execute(&mut *tx)` after `let q = sqlx::query(sql);`):
    /// `Some(text)`, the text `None` when it cannot be read.
    pub(super) fn statement_in_local(&self, expr: &Expr) -> Option<Option<String>> {
        match peel(expr) {
            Expr::MethodCall(call) => self.statement_in_local(&call.receiver),
            Expr::Path(_) => self.built.get(&place_of(expr)?).cloned(),
            _ => None,
        }
    }

    /// The SQL of a statement built by a vocabulary function at the root of
    /// a builder chain: `sqlx::query("BEGIN").bind(x)`, `sqlx::query!("..")`.
    pub(super) fn built_statement(&self, expr: &Expr) -> Option<String> {
        let vocabulary = self.file.vocabulary;
        match peel(expr) {
            Expr::MethodCall(call) => self.built_statement(&call.receiver),
            Expr::Call(call) => {
                let function = path_text(&call.func)?;
                let function = function.split("::<").next().unwrap_or(&function);
                if !vocabulary.is_sql_function(function) {
                    return None;
                }
                self.sql_text(call.args.first()?)
            }
            Expr::Macro(mac) => {
                let name = format!("{}!", path_string(&mac.mac.path));
                if !vocabulary.is_sql_function(&name) {
                    return None;
                }
                // `query!("SQL", ..)`, and after the record type
                // `query_as!(Row, "SQL", ..)`.
                let arguments = mac
                    .mac
                    .parse_body_with(
                        syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated,
                    )
                    .ok()?;
                arguments.iter().take(2).find_map(string_literal)
            }
            _ => None,
        }
    }
}

/// Whether a pattern matches only when a write changed nothing (`None`,
/// `0`, `Err(..)`: a statement that failed changed no row; sea-orm's
/// `TryInsertResult::Conflicted` and `Empty`; then `Some(true)`) or only
/// when it changed something (`Some(..)`, `TryInsertResult::Inserted(..)`:
/// `Some(false)`).
pub(super) fn zero_rows_pattern(pat: &Pat) -> Option<bool> {
    let last = |path: &syn::Path| path.segments.last().map(|s| s.ident.to_string());
    match pat {
        _ if matches_err(pat) == Some(true) => Some(true),
        Pat::Ident(ident) if ident.ident == "None" => Some(true),
        // No row returned: `[]`.
        Pat::Slice(slice) if slice.elems.is_empty() => Some(true),
        // A count of `0`, or a helper's report that it changed no row
        // (`Ok(false)`, see `TransactionHelper::ReportsWrite`).
        Pat::Lit(lit) => match &lit.lit {
            Lit::Int(n) => (n.base10_digits() == "0").then_some(true),
            Lit::Bool(changed) => Some(!changed.value),
            _ => None,
        },
        Pat::Path(path) => match last(&path.path).as_deref() {
            Some("None" | "Conflicted" | "Empty") => Some(true),
            _ => None,
        },
        Pat::TupleStruct(tuple) => match last(&tuple.path).as_deref() {
            Some("Some" | "Inserted") => Some(false),
            Some("Ok") if tuple.elems.len() == 1 => zero_rows_pattern(&tuple.elems[0]),
            _ => None,
        },
        // `Conflicted | Empty`: what every case says.
        Pat::Or(or) => {
            let mut cases = or.cases.iter().map(zero_rows_pattern);
            let first = cases.next().flatten()?;
            cases.all(|case| case == Some(first)).then_some(first)
        }
        _ => None,
    }
}

/// Whether the arm at `index` matches only when the write changed nothing:
/// by its pattern, as the `_` after an unguarded arm for a change
/// (`Some(..) => .., _ => ..`; a guarded arm's pattern is `Pat::Guard`), or
/// as the `Ok(..)` after one guarded by a row count (`Ok(r) if
/// r.rows_affected() == 1 => .., Ok(_) => ..`).
pub(super) fn zero_rows_arm(arms: &[syn::Arm], index: usize) -> bool {
    let pattern = unguarded(&arms[index].pat);
    let earlier = &arms[..index];
    zero_rows_pattern(pattern) == Some(true)
        || guard_counts_rows(&arms[index]) == Some(true)
        || (matches!(pattern, Pat::Wild(_))
            && earlier
                .iter()
                .any(|arm| zero_rows_pattern(&arm.pat) == Some(false)))
        || (matches!(&arms[index].pat, Pat::TupleStruct(_))
            && matches_err(pattern) == Some(false)
            && earlier
                .iter()
                .any(|arm| guard_counts_rows(arm) == Some(false)))
}

/// What an `Ok(..)` arm's guard says of the rows its write changed:
/// `Ok(r) if r.rows_affected() == 0` none (`Some(true)`), `Ok(r) if
/// r.rows_affected() == 1` some (`Some(false)`).
fn guard_counts_rows(arm: &syn::Arm) -> Option<bool> {
    let Pat::Guard(guarded) = &arm.pat else {
        return None;
    };
    let Expr::Binary(binary) = peel(&guarded.guard) else {
        return None;
    };
    let literal_on_right = matches!(peel(&binary.right), Expr::Lit(_));
    if matches_err(&guarded.pat) != Some(false) {
        return None;
    }
    comparison_with_zero_rows(binary).and_then(|test| test(literal_on_right))
}

/// For `count == 0`, `count < 1`, `count > 0`, ...: given whether the
/// literal stands on the right, whether the comparison holding means that
/// no row was changed (`Some(true)`), or that some was (`Some(false)`).
/// `!= 1` counts as zero rows: a keyed write that did not change its one
/// row changed none.
pub(super) fn comparison_with_zero_rows(
    binary: &syn::ExprBinary,
) -> Option<fn(bool) -> Option<bool>> {
    use syn::BinOp;
    let literal = |expr: &Expr| match peel(expr) {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(n) => n.base10_parse::<u64>().ok(),
            _ => None,
        },
        _ => None,
    };
    let n = literal(&binary.right).or_else(|| literal(&binary.left))?;
    // Each test is written for `count OP n`; with the literal on the left
    // the order flips (`0 < count` is `count > 0`).
    let test: fn(bool) -> Option<bool> = match (binary.op, n) {
        (BinOp::Eq(_), 0) | (BinOp::Ne(_), 1) => |_| Some(true),
        (BinOp::Ne(_), 0) | (BinOp::Eq(_), 1) => |_| Some(false),
        (BinOp::Lt(_), 1) | (BinOp::Le(_), 0) => |right| Some(right),
        (BinOp::Gt(_), 0) | (BinOp::Ge(_), 1) => |right| Some(!right),
        _ => return None,
    };
    Some(test)
}

/// Whether a statement chain was built by a call that writes
/// (`diesel::insert_into(t).values(..)`, `update(t).set(..)`).
pub(super) fn built_by_write(expr: &Expr) -> bool {
    let writes = |name: &str| {
        ["insert", "update", "delete", "upsert", "replace"]
            .iter()
            .any(|word| name.starts_with(word))
    };
    let mut current = peel(expr);
    loop {
        match current {
            Expr::MethodCall(call) => {
                if writes(&call.method.to_string()) {
                    return true;
                }
                current = peel(&call.receiver);
            }
            Expr::Call(call) => {
                return path_text(&call.func)
                    .is_some_and(|f| writes(f.rsplit("::").next().unwrap_or(&f)));
            }
            _ => return false,
        }
    }
}

/// Whether the call a method chain starts from is named so
/// (`queries::users::insert_user().bind(..)` starts from `insert_user`).
pub(super) fn built_by_call_named(expr: &Expr, test: fn(&str) -> bool) -> bool {
    let mut current = peel(expr);
    loop {
        match current {
            Expr::MethodCall(call) => current = peel(&call.receiver),
            Expr::Call(call) => {
                return path_text(&call.func)
                    .is_some_and(|f| test(f.rsplit("::").next().unwrap_or(&f)));
            }
            _ => return false,
        }
    }
}

/// The text of several branches when they all start the same transaction
/// statements (`BEGIN` or `BEGIN IMMEDIATE`): the first stands for all.
/// Branches that each end the transaction (`if ok { "COMMIT" } else {
/// "ROLLBACK" }`) end it either way: the one that rolls back stands for
/// them, since it may be the one that runs.
pub(super) fn agreeing(texts: impl IntoIterator<Item = String>) -> Option<String> {
    let texts: Vec<String> = texts.into_iter().collect();
    let first = texts.first()?;
    let statements = transaction_statements(first);
    if texts.iter().all(|text| {
        transaction_statements(text) == statements && sql_writes(text) == sql_writes(first)
    }) {
        return Some(first.clone());
    }
    let ends = |text: &String| {
        matches!(
            transaction_statements(text).as_slice(),
            [TxStatement::Commit] | [TxStatement::Rollback]
        )
    };
    if texts.iter().all(ends) {
        return texts
            .into_iter()
            .find(|text| transaction_statements(text) == [TxStatement::Rollback]);
    }
    None
}

/// A `format!` template with each `{..}` placeholder replaced by what
/// `fill` gives for its name or position (`""` for the next one), or left
/// out (`{{` and `}}` are literal braces).
pub(super) fn fill_placeholders(
    template: &str,
    mut fill: impl FnMut(&str) -> Option<String>,
) -> String {
    let mut text = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut placeholder = String::new();
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                    placeholder.push(c);
                }
                let key = placeholder.split(':').next().unwrap_or("").trim();
                text.push_str(&fill(key).unwrap_or_default());
            }
            other => text.push(other),
        }
    }
    text
}

/// A `CREATE .. IF NOT EXISTS` or `CREATE OR REPLACE` statement: running it
/// again changes nothing.
fn idempotent_setup(sql: &str) -> bool {
    let upper = sql.trim_start().to_ascii_uppercase();
    upper.starts_with("CREATE")
        && (upper.contains("IF NOT EXISTS") || upper.starts_with("CREATE OR REPLACE"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_by_name_and_position_or_left_out() {
        let texts = |key: &str| match key {
            "SELECT" => Some("SELECT id FROM notes".to_string()),
            "" => Some("DELETE FROM notes".to_string()),
            _ => None,
        };
        assert_eq!(
            fill_placeholders("{SELECT} WHERE id = $1", texts),
            "SELECT id FROM notes WHERE id = $1"
        );
        assert_eq!(
            fill_placeholders("{} WHERE {{x}}", texts),
            "DELETE FROM notes WHERE {x}"
        );
        assert_eq!(fill_placeholders("{verb:>8} INTO t", texts), " INTO t");
    }
}
