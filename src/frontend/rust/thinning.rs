//! Code that names nothing to follow, blanked before parsing. syn builds a
//! full tree for every token, and most of a crate's code never touches a
//! database:
//! - a function whose text names no word of the vocabulary is not lowered
//!   (see `Collector::lower`), so its body need not be parsed either: it
//!   is blanked to spaces, its braces kept, and parses as `{}`;
//! - a generated table (an array of 65,535 tuples in one `static`) costs
//!   syn over a hundred bytes a token, hundreds of megabytes for one file,
//!   and holds nothing to follow: an array literal that large naming no
//!   word is blanked the same way.
//!
//! The file then parses to the same items at the same offsets, with those
//! bodies empty. Like a file the prefilter skips, a syntax error inside a
//! blanked body is not reported.

/// Array literals (`[..]`) at least this long are thinned. Hand-written
/// code never has one; generated tables have many times more.
const THINNED_LENGTH: usize = 64 * 1024;

/// The text with every quiet function body (unless `all_bodies`) and
/// every large array literal blanked, or `None` when there is none. Quiet
/// means no offset of `named_at` from the `fn` to the closing brace, a
/// signature that takes no connection or transaction and names none of
/// the `handle_traits` (see `TraitMethods`), and no call of a function of
/// this file that does: lowering follows all of those. Newlines stay, so
/// lines and byte offsets are unchanged.
pub(super) fn thin(
    text: &str,
    named_at: &[u32],
    all_bodies: bool,
    handle_traits: &[&str],
) -> Option<String> {
    let bytes = text.as_bytes();
    let found = scan(bytes);
    let names_nothing = |from: usize, to: usize| {
        let first = named_at.partition_point(|&at| (at as usize) < from);
        named_at.get(first).is_none_or(|&at| at as usize > to)
    };
    // Functions whose signature may take a handle: a call of one hands it
    // on (see `calls_any`).
    let handle_takers = super::functions_taking_handles(text, handle_traits);
    let functions = &found.functions;
    let mut quiet: Vec<bool> = functions
        .iter()
        .map(|function| {
            !all_bodies
                && names_nothing(function.at, function.close)
                // A function a `macro_rules!` writes gets code from its
                // invocations (`$body`).
                && !bytes[function.open..function.close].contains(&b'$')
                && !takes_handle(&bytes[function.at..function.open])
                && !handle_traits
                    .iter()
                    .any(|name| holds_word(&bytes[function.at..function.open], name.as_bytes()))
                && !handle_takers
                    .iter()
                    .any(|name| holds_word(&bytes[function.open..function.close], name.as_bytes()))
        })
        .collect();
    // A call of a private method that may send a raw `BEGIN` is lowered
    // too, and so on up its private callers: whether the method's `self`
    // closes on drop depends on every caller's (see
    // `Collector::closed_by_callers`).
    let body = |function: &Function| &bytes[function.open..function.close];
    let mut followed: Vec<&[u8]> = functions
        .iter()
        .zip(&quiet)
        .filter(|(function, quiet)| {
            !**quiet
                && body(function)
                    .windows(5)
                    .any(|word| word.eq_ignore_ascii_case(b"begin"))
        })
        .filter_map(|(function, _)| private_method(bytes, function))
        .collect();
    let mut callees = followed.clone();
    while !callees.is_empty() {
        let mut callers = Vec::new();
        for (function, quiet) in functions.iter().zip(quiet.iter_mut()) {
            if callees.iter().any(|name| holds_word(body(function), name)) {
                *quiet = false;
                callers.extend(
                    private_method(bytes, function).filter(|name| !followed.contains(name)),
                );
            }
        }
        followed.extend(callers.iter().copied());
        callees = callers;
    }
    let mut blanked: Vec<(usize, usize)> = functions
        .iter()
        .zip(&quiet)
        .filter(|(_, quiet)| **quiet)
        .map(|(function, _)| (function.open, function.close))
        .collect();
    if text.len() >= THINNED_LENGTH {
        blanked.extend(found.arrays.iter().filter(|&&(open, close)| {
            close - open >= THINNED_LENGTH && names_nothing(open, close)
        }));
    }
    if blanked.is_empty() {
        return None;
    }
    let mut bytes = bytes.to_vec();
    for (open, close) in blanked {
        for byte in &mut bytes[open + 1..close] {
            if !matches!(*byte, b'\n' | b'\r') {
                *byte = b' ';
            }
        }
    }
    // Only whole ranges of bytes became ASCII spaces.
    String::from_utf8(bytes).ok()
}

/// The name of a function taking `self` and written without `pub`.
fn private_method<'t>(text: &'t [u8], function: &Function) -> Option<&'t [u8]> {
    let line_start = text[..function.at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |at| at + 1);
    if holds_word(&text[line_start..function.at], b"pub")
        || !holds_word(&text[function.at..function.open], b"self")
    {
        return None;
    }
    let name_start = function.at
        + 2
        + text[function.at + 2..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())?;
    let name_len = text[name_start..]
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'_'))?;
    (name_len > 0).then(|| &text[name_start..name_start + name_len])
}

/// Whether a signature's text may name a connection or transaction type
/// (see `names_handle_type`, which reads the parsed parameter types: this
/// reads the whole signature, so it says yes at least as often).
fn takes_handle(signature: &[u8]) -> bool {
    super::names_handle_type(&String::from_utf8_lossy(signature).to_ascii_lowercase())
}

/// Whether `word` occurs in `text` as a whole identifier.
pub(super) fn holds_word(text: &[u8], word: &[u8]) -> bool {
    memchr::memmem::find_iter(text, word)
        .any(|at| !ident_byte(text, at.wrapping_sub(1)) && !ident_byte(text, at + word.len()))
}

/// How many calls of `name` the text writes (`name(`, `.name(`,
/// `Type::name(`, `name::<T>(`), its definitions (`fn name(`) not counted:
/// also those in bodies that were blanked, in macro arguments and in
/// comments, where lowering sees none.
pub(super) fn written_calls(text: &str, name: &str) -> usize {
    let bytes = text.as_bytes();
    memchr::memmem::find_iter(bytes, name.as_bytes())
        .filter(|&at| {
            let end = at + name.len();
            if ident_byte(bytes, at.wrapping_sub(1)) || ident_byte(bytes, end) {
                return false;
            }
            let after = text[end..].trim_start();
            let before = text[..at].trim_end();
            let definition =
                before.ends_with("fn") && !ident_byte(bytes, before.len().wrapping_sub(3));
            (after.starts_with('(') || after.starts_with("::<")) && !definition
        })
        .count()
}

/// Whether the function `name` is handed on as a value, an argument of a
/// call (`run_step(conn, 5, seed_units)`, `apply(Self::migrate)`): it is
/// called wherever that call calls it, with whatever it is given there.
pub(super) fn passed_as_value(text: &str, name: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memmem::find_iter(bytes, name.as_bytes()).any(|at| {
        let end = at + name.len();
        if ident_byte(bytes, at.wrapping_sub(1)) || ident_byte(bytes, end) {
            return false;
        }
        let after = text[end..].trim_start();
        // Past the path it is written with (`Self::`, `steps::`).
        let mut before = &text[..at];
        while let Some(path) = before.strip_suffix("::") {
            before = path.trim_end_matches(|c: char| c.is_alphanumeric() || c == '_');
        }
        let before = before.trim_end();
        (before.ends_with('(') || before.ends_with(','))
            && (after.starts_with(')') || after.starts_with(','))
    })
}

/// A function with a body: the offsets of its `fn`, and of its body's
/// braces.
struct Function {
    at: usize,
    open: usize,
    close: usize,
}

/// What `scan` finds: functions with bodies, and the outermost array
/// literals, by their brackets' offsets.
#[derive(Default)]
struct Found {
    functions: Vec<Function>,
    arrays: Vec<(usize, usize)>,
}

/// Functions and array literals, skipping comments and string,
/// byte-string and character literals. Unbalanced or unterminated text
/// gives what was found before it: syn reports the error itself.
fn scan(text: &[u8]) -> Found {
    let mut found = Found::default();
    // Open brackets: the bracket, its offset, and for a function's body
    // the offset of its `fn`.
    let mut open: Vec<(u8, usize, Option<usize>)> = Vec::new();
    // A `fn` whose body is not open yet, and the depth it is at. A `;` or
    // `,` at that depth, or leaving it, ends it without a body (a trait
    // method's declaration, a `fn(..)` pointer type).
    let mut pending: Option<(usize, usize)> = None;
    let mut at = 0;
    while at < text.len() {
        match text[at] {
            b'/' if text.get(at + 1) == Some(&b'/') => {
                at = after_line(text, at);
                continue;
            }
            b'/' if text.get(at + 1) == Some(&b'*') => {
                at = block_comment_end(text, at);
                continue;
            }
            b'"' => {
                at = quoted_end(text, at + 1, b'"');
                continue;
            }
            b'r' | b'b' | b'c' if !ident_byte(text, at.wrapping_sub(1)) => {
                if let Some(end) = raw_or_byte_string_end(text, at) {
                    at = end;
                    continue;
                }
            }
            b'\'' => {
                at = char_literal_end(text, at);
                continue;
            }
            b'f' if text.get(at + 1) == Some(&b'n')
                && !ident_byte(text, at.wrapping_sub(1))
                && !ident_byte(text, at + 2) =>
            {
                // A `fn` inside a pending signature (`-> fn(u8)`) is part
                // of it.
                if pending.is_none_or(|(_, depth)| depth != open.len()) {
                    pending = Some((at, open.len()));
                }
                at += 2;
                continue;
            }
            b';' | b',' if pending.is_some_and(|(_, depth)| depth == open.len()) => pending = None,
            b'{' if pending.is_some_and(|(_, depth)| depth == open.len()) => {
                open.push((b'{', at, pending.take().map(|(fn_at, _)| fn_at)));
            }
            b'(' | b'[' | b'{' => open.push((text[at], at, None)),
            b')' | b']' | b'}' => {
                let Some((kind, start, function)) = open.pop() else {
                    return found;
                };
                if pending.is_some_and(|(_, depth)| depth > open.len()) {
                    pending = None;
                }
                match (kind, text[at]) {
                    (b'[', b']') => {
                        // Arrays inside this one were found first: keep
                        // the outermost only.
                        while found.arrays.last().is_some_and(|&(inner, _)| inner > start) {
                            found.arrays.pop();
                        }
                        found.arrays.push((start, at));
                    }
                    (b'(', b')') => {}
                    (b'{', b'}') => {
                        if let Some(fn_at) = function {
                            found.functions.push(Function {
                                at: fn_at,
                                open: start,
                                close: at,
                            });
                        }
                    }
                    _ => return found,
                }
            }
            _ => {}
        }
        at += 1;
    }
    found
}

fn ident_byte(text: &[u8], at: usize) -> bool {
    text.get(at)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b >= 0x80)
}

/// After the line `from` is on (a `//` comment's end).
fn after_line(text: &[u8], from: usize) -> usize {
    text[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |p| from + p + 1)
}

/// After a `/* .. */` comment, which nests in Rust.
fn block_comment_end(text: &[u8], from: usize) -> usize {
    let mut depth = 0usize;
    let mut at = from;
    while at + 1 < text.len() {
        match (text[at], text[at + 1]) {
            (b'/', b'*') => {
                depth += 1;
                at += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                at += 2;
                if depth == 0 {
                    return at;
                }
            }
            _ => at += 1,
        }
    }
    text.len()
}

/// After a quoted literal whose body starts at `from`, with `\` escapes.
fn quoted_end(text: &[u8], from: usize, quote: u8) -> usize {
    let mut at = from;
    while at < text.len() {
        match text[at] {
            b'\\' => at += 2,
            b if b == quote => return at + 1,
            _ => at += 1,
        }
    }
    text.len()
}

/// After `r".."`, `r#".."#`, `b".."`, `br#".."#`, `b'x'`, `c".."`, `cr".."`
/// starting at `from`; `None` when the text there is an identifier.
fn raw_or_byte_string_end(text: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    if matches!(text[at], b'b' | b'c') {
        at += 1;
        match text.get(at) {
            Some(b'"') => return Some(quoted_end(text, at + 1, b'"')),
            Some(b'\'') if text[from] == b'b' => return Some(quoted_end(text, at + 1, b'\'')),
            Some(b'r') => {}
            _ => return None,
        }
    }
    at += 1; // the `r`
    let hashes = text[at..].iter().take_while(|&&b| b == b'#').count();
    at += hashes;
    if text.get(at) != Some(&b'"') {
        return None;
    }
    at += 1;
    while at < text.len() {
        if text[at] == b'"'
            && text[at + 1..]
                .iter()
                .take(hashes)
                .filter(|&&b| b == b'#')
                .count()
                == hashes
        {
            return Some(at + 1 + hashes);
        }
        at += 1;
    }
    Some(text.len())
}

/// After a character literal (`'x'`, `'\n'`, `'\u{1F600}'`, `'é'`), or
/// just after the quote of a lifetime or label (`'a`, `'outer:`).
fn char_literal_end(text: &[u8], from: usize) -> usize {
    match text.get(from + 1) {
        Some(b'\\') => quoted_end(text, from + 1, b'\''),
        Some(_) => {
            // One character, of one to four bytes, then the closing quote.
            let width = text[from + 1..]
                .iter()
                .skip(1)
                .take_while(|&&b| (0x80..0xC0).contains(&b))
                .count()
                + 1;
            if text.get(from + 1 + width) == Some(&b'\'') {
                from + 2 + width
            } else {
                from + 1
            }
        }
        None => text.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: usize) -> String {
        let mut text = String::from("// a table\nstatic T: [(i32, &str); 0] = [\n");
        for row in 0..rows {
            text.push_str(&format!("    ({row}, \"a ] b [ '\"), // ] [\n"));
        }
        text.push_str(
            "];\n\nfn main() { let c = '['; let l: &'static str = r#\"]\"#; begin(); }\n",
        );
        text
    }

    /// `table`'s offsets of the vocabulary: the `begin` in `main`.
    fn named(text: &str) -> Vec<u32> {
        vec![text.find("begin").unwrap() as u32]
    }

    #[test]
    fn a_large_table_is_blanked_and_keeps_its_lines_and_offsets() {
        let text = table(4_000);
        let thinned = thin(&text, &named(&text), false, &[]).expect("thinned");
        assert_eq!(thinned.len(), text.len());
        assert_eq!(thinned.lines().count(), text.lines().count());
        let open = text.find("= [").unwrap() + 2;
        assert_eq!(&thinned[..=open], &text[..=open]);
        let main = text.find("fn main").unwrap();
        assert_eq!(&thinned[main..], &text[main..]);
        assert!(thinned[open + 1..main].trim_start().starts_with("];"));
        assert!(syn::parse_str::<syn::File>(&thinned).is_ok());
    }

    #[test]
    fn a_table_that_names_the_vocabulary_or_is_small_stays() {
        let text = table(4_000);
        let inside = text.find("(7,").unwrap() as u32;
        assert_eq!(thin(&text, &[inside, named(&text)[0]], false, &[]), None);
        let before = text.find("static").unwrap() as u32;
        assert!(thin(&text, &[before, named(&text)[0]], false, &[]).is_some());
        let small = table(10);
        assert_eq!(thin(&small, &named(&small), false, &[]), None);
    }

    #[test]
    fn unbalanced_or_unterminated_text_is_left_to_the_parser() {
        let mut text = table(4_000);
        text.push_str("fn broken() { let s = \"never closed");
        assert!(thin(&text, &named(&text), false, &[]).is_some());
        assert_eq!(thin(&"]".repeat(THINNED_LENGTH + 1), &[], false, &[]), None);
        assert_eq!(thin(&"'".repeat(THINNED_LENGTH + 1), &[], false, &[]), None);
        assert_eq!(thin("fn f() { (1, 2} }", &[], false, &[]), None);
    }

    /// The text with `thin`'s blanks shown as nothing: what syn parses.
    fn squeezed(text: &str, words: &[&str]) -> String {
        let named: Vec<u32> = words
            .iter()
            .map(|word| text.find(word).expect("a word of the text") as u32)
            .collect();
        let thinned = thin(text, &named, false, &[]).unwrap_or_else(|| text.to_string());
        assert_eq!(thinned.len(), text.len());
        assert!(syn::parse_str::<syn::File>(&thinned).is_ok(), "{thinned}");
        thinned.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn a_function_that_names_nothing_is_parsed_without_its_body() {
        let text = "
            use std::fmt;
            fn render(x: u8) -> String { let s = format!(\"{x} }}\"); s }
            impl Shop {
                async fn pay(&self) -> Result<(), E> { let mut tx = self.pool.begin().await?; tx.commit().await }
                const fn size() -> usize { let table = [0u8; 4]; table.len() }
            }
            trait Render { fn render(&self) -> String; fn twice(&self) -> String { self.render() } }
            struct Hooks { on_close: fn(u8) -> u8, count: usize }
            fn pick() -> fn(u8) -> u8 { |x| { x } }
        ";
        assert_eq!(
            squeezed(text, &["begin"]),
            "use std::fmt; fn render(x: u8) -> String { } impl Shop { \
             async fn pay(&self) -> Result<(), E> { let mut tx = self.pool.begin().await?; tx.commit().await } \
             const fn size() -> usize { } } \
             trait Render { fn render(&self) -> String; fn twice(&self) -> String { } } \
             struct Hooks { on_close: fn(u8) -> u8, count: usize } fn pick() -> fn(u8) -> u8 { }"
        );
    }

    #[test]
    fn a_function_that_takes_or_hands_on_a_connection_keeps_its_body() {
        let text = "
            fn audit(conn: &mut PgConnection) -> u8 { 1 }
            fn nightly(pool: &Pool) { let mut c = pool.get(); audit(&mut c); }
            fn unrelated() { let audit_log = 1; }
        ";
        assert_eq!(
            squeezed(text, &[]),
            "fn audit(conn: &mut PgConnection) -> u8 { 1 } \
             fn nightly(pool: &Pool) { let mut c = pool.get(); audit(&mut c); } \
             fn unrelated() { }"
        );
    }

    #[test]
    fn a_call_of_a_private_method_that_is_lowered_keeps_its_body() {
        let text = "
            impl Store {
                pub fn open(p: &Path) -> Store { let mut s = Store::at(p); s.upgrade(); s }
                fn upgrade(&mut self) { self.add_tags(); }
                fn add_tags(&mut self) { self.conn.execute_batch(\"BEGIN\"); }
                pub fn tags(&self) -> Vec<String> { self.cache.tags() }
                pub fn path(&self) -> &Path { &self.path }
            }
        ";
        assert_eq!(
            squeezed(text, &["execute_batch"]),
            "impl Store { pub fn open(p: &Path) -> Store { let mut s = Store::at(p); s.upgrade(); s } \
             fn upgrade(&mut self) { self.add_tags(); } \
             fn add_tags(&mut self) { self.conn.execute_batch(\"BEGIN\"); } \
             pub fn tags(&self) -> Vec<String> { } pub fn path(&self) -> &Path { } }"
        );
    }

    #[test]
    fn written_calls_count_calls_in_any_form_and_not_the_definition() {
        let text = "
            fn migrate(&mut self) {}
            fn run(&mut self) { self.migrate(); Self::migrate(self); log!(\"{:?}\", self.migrate ()); }
            fn other() { let migrate_all = 1; migrate::<u8>(); let f = Self::migrate; }
        ";
        assert_eq!(written_calls(text, "migrate"), 4);
    }

    #[test]
    fn a_function_handed_on_as_an_argument_is_passed_as_a_value() {
        let text = "
            fn seed(conn: &Connection) {}
            fn upgrade(conn: &Connection) { run_step(conn, 5, seed)?; apply(Self::seed_all, conn); }
            fn other(conn: &Connection) { seed(conn); let seeded = seeds(conn); }
        ";
        assert!(passed_as_value(text, "seed"));
        assert!(passed_as_value(text, "seed_all"));
        assert!(!passed_as_value(text, "seeds"));
        assert!(!passed_as_value(text, "conn_pool"));
    }

    #[test]
    fn a_function_a_macro_writes_keeps_its_body() {
        let text = "
            macro_rules! job {
                ($name:ident, $body:block) => { fn $name(s: &State) { log(); $body } };
            }
        ";
        assert_eq!(
            squeezed(text, &[]),
            "macro_rules! job { ($name:ident, $body:block) => { fn $name(s: &State) { log(); $body } }; }"
        );
    }
}
