//! A file's own `macro_rules!`: an invocation in item position
//! (`id_generator!(next_invoice_id, "SELECT ..");`) is expanded into the
//! items it stands for, so that the functions it defines are lowered and
//! summarised like written ones; one in a function body (`let tx =
//! open_tx!(pool);`, `close_tx!(outcome, tx)`) into the expression it
//! stands for, lowered where it is written. Only the plain forms are
//! expanded: rules without repetitions (`$(..)*`), fragments matched by
//! kind (`ident`, `literal`, `lifetime`, `vis`, `tt`, `block`, and the
//! others up to the pattern's next literal token). Anything else stays
//! an opaque macro, as before.

use std::collections::HashMap;

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use syn::visit::Visit;
use syn::{Item, ItemMacro};

/// Invocations expanded per file, at most: a generated file of thousands
/// stays cheap.
const MAX_EXPANSIONS: usize = 256;

/// Tokens one expansion may produce, at most: a body that names a large
/// fragment many times is left unexpanded.
const MAX_EXPANDED_TOKENS: usize = 100_000;

/// Append to `items` what the file's item-position invocations of its own
/// `macro_rules!` expand to, also inside inline modules. Returns the `fn`
/// tokens of the functions the expansions define: their text is split
/// between the macro and its invocations.
pub(super) fn expand_item_macros(items: &mut Vec<Item>) -> Vec<Span> {
    let mut budget = MAX_EXPANSIONS;
    let mut functions = FnTokens(Vec::new());
    expand_in(items, &HashMap::new(), &mut budget, &mut functions);
    functions.0
}

/// The `fn` tokens of the functions, methods and default trait methods
/// visited.
struct FnTokens(Vec<Span>);

impl<'ast> Visit<'ast> for FnTokens {
    fn visit_signature(&mut self, signature: &'ast syn::Signature) {
        self.0.push(signature.fn_token.span);
    }
}

fn expand_in(
    items: &mut Vec<Item>,
    outer: &HashMap<String, Vec<Rule>>,
    budget: &mut usize,
    functions: &mut FnTokens,
) {
    // `macro_rules!` are visible below their definition, in textual order,
    // and in the modules written inside the file after it.
    let mut macros = outer.clone();
    let mut expanded = Vec::new();
    for item in items.iter_mut() {
        match item {
            Item::Macro(item_macro) => {
                if let Some((name, rules)) = definition(item_macro) {
                    macros.insert(name, rules);
                } else if *budget > 0
                    && let Some(items) = expansion(item_macro, &macros)
                {
                    *budget -= 1;
                    items.iter().for_each(|item| functions.visit_item(item));
                    expanded.extend(items);
                }
            }
            Item::Mod(module) => {
                if let Some((_, content)) = &mut module.content {
                    expand_in(content, &macros, budget, functions);
                }
            }
            _ => {}
        }
    }
    items.extend(expanded);
}

/// A rule of a `macro_rules!`: `(pattern) => { body }`.
#[derive(Clone)]
pub(super) struct Rule {
    pattern: Vec<TokenTree>,
    body: Vec<TokenTree>,
}

/// `macro_rules! name { (pattern) => { body }; .. }`.
pub(super) fn definition(item: &ItemMacro) -> Option<(String, Vec<Rule>)> {
    if !item.mac.path.is_ident("macro_rules") {
        return None;
    }
    let name = item.ident.as_ref()?.to_string();
    let tokens: Vec<TokenTree> = item.mac.tokens.clone().into_iter().collect();
    let mut rules = Vec::new();
    let mut at = 0;
    while at < tokens.len() {
        let (TokenTree::Group(pattern), Some(TokenTree::Punct(eq)), Some(TokenTree::Punct(gt))) =
            (&tokens[at], tokens.get(at + 1), tokens.get(at + 2))
        else {
            return None;
        };
        let Some(TokenTree::Group(body)) = tokens.get(at + 3) else {
            return None;
        };
        if eq.as_char() != '=' || gt.as_char() != '>' {
            return None;
        }
        rules.push(Rule {
            pattern: pattern.stream().into_iter().collect(),
            body: body.stream().into_iter().collect(),
        });
        at += 4;
        if matches!(tokens.get(at), Some(TokenTree::Punct(p)) if p.as_char() == ';') {
            at += 1;
        }
    }
    Some((name, rules))
}

/// The `macro_rules!` a file's text defines, each by name with its item's
/// text: other files of the crate invoke them (`#[macro_export]`, or a
/// `#[macro_use] mod` of them). Only a text that defines one is parsed.
pub(crate) fn definitions_in_text(text: &str) -> Vec<(String, String)> {
    if !text.contains("macro_rules!") || crate::frontend::check_bracket_depth(text).is_err() {
        return Vec::new();
    }
    struct Definitions(Vec<(String, String)>);
    impl<'ast> Visit<'ast> for Definitions {
        fn visit_item_macro(&mut self, item: &'ast ItemMacro) {
            if let Some(name) = &item.ident
                && item.mac.path.is_ident("macro_rules")
            {
                let text = quote::ToTokens::to_token_stream(item).to_string();
                self.0.push((name.to_string(), text));
            }
        }
    }
    let _spans = super::SpanScope::enter();
    let Ok(file) = syn::parse_file(&text[super::prefix_len(text)..]) else {
        return Vec::new();
    };
    let mut found = Definitions(Vec::new());
    found.visit_file(&file);
    found.0
}

/// Whether the text invokes a macro it does not define, by its bare name
/// or through `crate::` (`create_tx!(pool)`), that is none of the
/// standard library's, logging's or a driver's: one another file of the
/// crate may define.
pub(crate) fn invokes_other_files_macro(text: &str) -> bool {
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let defined: std::collections::HashSet<&str> = text
        .split("macro_rules!")
        .skip(1)
        .filter_map(|rest| {
            rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .find(|w| !w.is_empty())
        })
        .collect();
    memchr::memchr_iter(b'!', bytes).any(|bang| {
        let start = bytes[..bang]
            .iter()
            .rposition(|&b| !is_word(b))
            .map_or(0, |at| at + 1);
        let name = &text[start..bang];
        let opens = text[bang + 1..].trim_start().starts_with(['(', '[', '{']);
        let prefix = &text[..start];
        let bare_or_crate = !prefix.ends_with("::") || prefix.ends_with("crate::");
        opens
            && bare_or_crate
            && !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && !WELL_KNOWN_MACROS.contains(&name)
            && !super::syntax::READING_MACROS.contains(&name)
            && !defined.contains(name)
    })
}

/// Macros of the standard library and of the crates services use most,
/// beside the reading ones (see `READING_MACROS`), whose invocations name
/// no macro of the crate.
const WELL_KNOWN_MACROS: &[&str] = &[
    "anyhow",
    "bail",
    "cfg",
    "column",
    "compile_error",
    "concat",
    "ensure",
    "env",
    "file",
    "include",
    "include_bytes",
    "include_str",
    "join",
    "json",
    "line",
    "macro_rules",
    "module_path",
    "option_env",
    "panic",
    "pin",
    "query",
    "query_as",
    "query_scalar",
    "select",
    "stringify",
    "thread_local",
    "todo",
    "try_join",
    "unimplemented",
    "unreachable",
];

/// The items an invocation of a known macro expands to, by its first rule
/// that matches.
fn expansion(item: &ItemMacro, macros: &HashMap<String, Vec<Rule>>) -> Option<Vec<Item>> {
    if item.ident.is_some() {
        return None;
    }
    let rules = macros.get(&item.mac.path.get_ident()?.to_string())?;
    let input: Vec<TokenTree> = item.mac.tokens.clone().into_iter().collect();
    rules.iter().find_map(|rule| {
        let mut bindings = HashMap::new();
        if !matches(&rule.pattern, &input, &mut bindings)? {
            return None;
        }
        let mut room = MAX_EXPANDED_TOKENS;
        let body = substitute(&rule.body, &bindings, &mut room)?;
        syn::parse2::<syn::File>(body).ok().map(|file| file.items)
    })
}

/// The expression an invocation in a function body expands to, by the
/// first rule that matches, every token placed at the invocation: what is
/// found in it is reported where the function uses the macro. A body of
/// several statements is a block.
pub(super) fn expression(mac: &syn::Macro, rules: &[Rule]) -> Option<syn::Expr> {
    let input: Vec<TokenTree> = mac.tokens.clone().into_iter().collect();
    let at = syn::spanned::Spanned::span(mac);
    rules.iter().find_map(|rule| {
        let mut bindings = HashMap::new();
        if !matches(&rule.pattern, &input, &mut bindings)? {
            return None;
        }
        let mut room = MAX_EXPANDED_TOKENS;
        let body = placed_at(substitute(&rule.body, &bindings, &mut room)?, at);
        syn::parse2::<syn::Expr>(body.clone()).ok().or_else(|| {
            let block = TokenTree::Group(Group::new(Delimiter::Brace, body));
            syn::parse2::<syn::Expr>(block.into()).ok()
        })
    })
}

/// `tokens` with every span set to `at`.
fn placed_at(tokens: TokenStream, at: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut placed = Group::new(group.delimiter(), placed_at(group.stream(), at));
                placed.set_span(at);
                return TokenTree::Group(placed);
            }
            token.set_span(at);
            token
        })
        .collect()
}

type Bindings = HashMap<String, Vec<TokenTree>>;

/// Whether `input` matches `pattern` entirely, binding its metavariables;
/// `None` for a pattern this reader does not follow (a repetition).
fn matches(pattern: &[TokenTree], input: &[TokenTree], bindings: &mut Bindings) -> Option<bool> {
    let mut p = 0;
    let mut i = 0;
    while p < pattern.len() {
        match (&pattern[p], pattern.get(p + 1)) {
            (TokenTree::Punct(dollar), Some(TokenTree::Ident(name))) if dollar.as_char() == '$' => {
                let (Some(TokenTree::Punct(colon)), Some(TokenTree::Ident(kind))) =
                    (pattern.get(p + 2), pattern.get(p + 3))
                else {
                    return None;
                };
                if colon.as_char() != ':' {
                    return None;
                }
                let rest = &input[i..];
                let taken = fragment(&kind.to_string(), rest, pattern.get(p + 4))?;
                let Some(taken) = taken else {
                    return Some(false);
                };
                bindings.insert(name.to_string(), rest[..taken].to_vec());
                i += taken;
                p += 4;
            }
            (TokenTree::Punct(dollar), Some(TokenTree::Group(_))) if dollar.as_char() == '$' => {
                return None;
            }
            (TokenTree::Group(expected), _) => {
                let Some(TokenTree::Group(found)) = input.get(i) else {
                    return Some(false);
                };
                if expected.delimiter() != found.delimiter() {
                    return Some(false);
                }
                let expected: Vec<TokenTree> = expected.stream().into_iter().collect();
                let found: Vec<TokenTree> = found.stream().into_iter().collect();
                if !matches(&expected, &found, bindings)? {
                    return Some(false);
                }
                p += 1;
                i += 1;
            }
            (expected, _) => {
                if input.get(i).map(ToString::to_string) != Some(expected.to_string()) {
                    return Some(false);
                }
                p += 1;
                i += 1;
            }
        }
    }
    Some(i == input.len())
}

/// How many tokens of `input` a fragment of `kind` takes (`Some(None)`:
/// it cannot match here; `None`: a kind this reader does not follow).
/// Fragments without a fixed shape run up to `next`, the pattern's next
/// literal token, or to the end.
fn fragment(kind: &str, input: &[TokenTree], next: Option<&TokenTree>) -> Option<Option<usize>> {
    let first = input.first();
    let taken = match kind {
        "ident" => matches!(first, Some(TokenTree::Ident(_))).then_some(1),
        "tt" => first.map(|_| 1),
        "literal" => match (first, input.get(1)) {
            (Some(TokenTree::Literal(_)), _) => Some(1),
            (Some(TokenTree::Punct(minus)), Some(TokenTree::Literal(_)))
                if minus.as_char() == '-' =>
            {
                Some(2)
            }
            (Some(TokenTree::Ident(word)), _) if word == "true" || word == "false" => Some(1),
            _ => None,
        },
        "lifetime" => match (first, input.get(1)) {
            (Some(TokenTree::Punct(tick)), Some(TokenTree::Ident(_))) if tick.as_char() == '\'' => {
                Some(2)
            }
            _ => None,
        },
        "block" => matches!(first, Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace)
            .then_some(1),
        "vis" => Some(match (first, input.get(1)) {
            (Some(TokenTree::Ident(word)), Some(TokenTree::Group(g)))
                if word == "pub" && g.delimiter() == Delimiter::Parenthesis =>
            {
                2
            }
            (Some(TokenTree::Ident(word)), _) if word == "pub" => 1,
            _ => 0,
        }),
        "expr" | "ty" | "path" | "pat" | "pat_param" | "stmt" | "item" | "meta" => {
            let end = match next {
                Some(stop) if !matches!(stop, TokenTree::Group(_)) => {
                    let stop = stop.to_string();
                    input
                        .iter()
                        .position(|token| token.to_string() == stop)
                        .unwrap_or(input.len())
                }
                _ => input.len(),
            };
            (end > 0).then_some(end)
        }
        _ => return None,
    };
    Some(taken)
}

/// The body with its metavariables replaced; `None` for one this reader
/// does not follow (a repetition, an unbound name), or when it would take
/// more than `room` tokens.
fn substitute(body: &[TokenTree], bindings: &Bindings, room: &mut usize) -> Option<TokenStream> {
    let mut out = TokenStream::new();
    let mut at = 0;
    while at < body.len() {
        *room = room.checked_sub(1)?;
        match (&body[at], body.get(at + 1)) {
            (TokenTree::Punct(dollar), Some(TokenTree::Ident(name))) if dollar.as_char() == '$' => {
                if name == "crate" {
                    out.extend([TokenTree::Ident(proc_macro2::Ident::new(
                        "crate",
                        name.span(),
                    ))]);
                } else {
                    let bound = bindings.get(&name.to_string())?;
                    *room = room.checked_sub(bound.len())?;
                    match bound.as_slice() {
                        [one] => out.extend([one.clone()]),
                        // As one expression or type, whatever surrounds it.
                        several => out.extend([TokenTree::Group(Group::new(
                            Delimiter::None,
                            several.iter().cloned().collect(),
                        ))]),
                    }
                }
                at += 2;
            }
            (TokenTree::Punct(dollar), _) if dollar.as_char() == '$' => return None,
            (TokenTree::Group(group), _) => {
                let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                let mut replaced =
                    Group::new(group.delimiter(), substitute(&inner, bindings, room)?);
                replaced.set_span(group.span());
                out.extend([TokenTree::Group(replaced)]);
                at += 1;
            }
            (other, _) => {
                out.extend([other.clone()]);
                at += 1;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(source: &str) -> Vec<String> {
        let mut file: syn::File = syn::parse_str(source).unwrap();
        let before = file.items.len();
        expand_item_macros(&mut file.items);
        file.items[before..]
            .iter()
            .filter_map(|item| match item {
                Item::Fn(function) => Some(function.sig.ident.to_string()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_macro_another_file_may_define_is_told_from_well_known_and_own_ones() {
        let own = "macro_rules! open_tx { ($p:expr) => { $p.begin().await? }; }\n\
                   async fn f(p: &PgPool) { let tx = open_tx!(p); info!(\"{}\", !done); }";
        assert!(!invokes_other_files_macro(own));
        assert!(!invokes_other_files_macro(
            "fn f() { sqlx::query!(\"SELECT 1\"); x != y; }"
        ));
        assert!(invokes_other_files_macro(
            "fn f() { let tx = create_tx!(conn); }"
        ));
        assert!(invokes_other_files_macro(
            "fn f() { crate::finish_tx! { r, tx } }"
        ));
    }

    #[test]
    fn definitions_are_read_back_as_the_items_they_were() {
        let text = "#[macro_export]\nmacro_rules! close_tx {\n    ($tx:expr) => { $tx.commit().await };\n}\n\
                    mod inner { macro_rules! nested { () => {}; } }\nfn unrelated() {}";
        let found = definitions_in_text(text);
        let names: Vec<&str> = found.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["close_tx", "nested"]);
        let item: ItemMacro = syn::parse_str(&found[0].1).unwrap();
        let (_, rules) = definition(&item).unwrap();
        assert_eq!(rules.len(), 1);
        assert!(definitions_in_text("fn no_macros() {}").is_empty());
        assert!(definitions_in_text("macro_rules! broken { (").is_empty());
    }

    #[test]
    fn invocations_of_the_files_own_macros_become_their_functions() {
        let source = r#"
            macro_rules! id_generator {
                ($vis:vis $name:ident, $table:literal) => {
                    $vis async fn $name(tx: &mut Transaction<'_, Postgres>) -> Result<i64, Error> {
                        sqlx::query_scalar($table).fetch_one(&mut **tx).await
                    }
                };
            }
            id_generator!(pub next_invoice_id, "SELECT 1");
            id_generator!(next_charge_id, "SELECT 2");
            mod billing {
                id_generator!(pub(crate) next_refund_id, "SELECT 3");
            }
        "#;
        assert_eq!(expanded(source), ["next_invoice_id", "next_charge_id"]);
        let mut file: syn::File = syn::parse_str(source).unwrap();
        expand_item_macros(&mut file.items);
        let Some(Item::Mod(billing)) = file.items.get(3) else {
            panic!("the module stays third");
        };
        let content = &billing.content.as_ref().unwrap().1;
        assert!(
            matches!(content.last(), Some(Item::Fn(f)) if f.sig.ident == "next_refund_id"),
            "an inline module sees the macros above it"
        );
    }

    #[test]
    fn what_this_reader_does_not_follow_stays_a_macro() {
        // A repetition, an unknown fragment, an invocation that matches no
        // rule, a macro of another file, a body that is not items.
        let source = r#"
            macro_rules! many { ($($name:ident),*) => { $(fn $name() {})* }; }
            macro_rules! odd { ($x:weird) => { fn f() {} }; }
            macro_rules! two { ($a:ident, $b:ident) => { fn $a() {} fn $b() {} }; }
            macro_rules! expr_only { ($e:expr) => { $e + 1 }; }
            many!(a, b);
            odd!(x);
            two!(only_one);
            elsewhere!(c);
            expr_only!(2);
        "#;
        assert!(expanded(source).is_empty());
    }

    #[test]
    fn an_expansion_past_its_token_budget_stays_a_macro() {
        let long: Vec<String> = (0..40_000).map(|i| format!("x{i}")).collect();
        let source = format!(
            "macro_rules! thrice {{ ($name:ident, $e:expr) => {{ \
                fn $name() {{ let _ = [$e]; let _ = [$e]; let _ = [$e]; }} }}; }}\n\
             thrice!(big, {});\n\
             thrice!(fits, 1);",
            long.join(", ")
        );
        assert_eq!(expanded(&source), ["fits"]);
    }
    #[test]
    fn an_invocation_in_a_body_becomes_its_expression_at_the_invocation() {
        let written: syn::ItemMacro = syn::parse_str(
            "macro_rules! open_tx { ($pool:expr) => { match $pool.begin().await { \
                Ok(tx) => tx, Err(_) => return failed() } }; \
                ($a:ident, $b:ident) => { let one = $a; touch($b); }; }",
        )
        .unwrap();
        let (name, rules) = definition(&written).unwrap();
        assert_eq!(name, "open_tx");
        let one: syn::Expr = syn::parse_str("\n\n  open_tx!(state.pool)").unwrap();
        let syn::Expr::Macro(one) = one else {
            panic!("a macro")
        };
        let Some(syn::Expr::Match(opened)) = expression(&one.mac, &rules) else {
            panic!("the first rule's body is a match");
        };
        let placed = syn::spanned::Spanned::span(&opened.arms[1]).start();
        assert_eq!((placed.line, placed.column), (3, 2), "at the invocation");
        let two: syn::Expr = syn::parse_str("open_tx!(a, b)").unwrap();
        let syn::Expr::Macro(two) = two else {
            panic!("a macro")
        };
        assert!(
            matches!(expression(&two.mac, &rules), Some(syn::Expr::Block(block)) if block.block.stmts.len() == 2),
            "statements become a block"
        );
        let none: syn::Expr = syn::parse_str("open_tx!(a, b, c)").unwrap();
        let syn::Expr::Macro(none) = none else {
            panic!("a macro")
        };
        assert!(expression(&none.mac, &rules).is_none(), "no rule matches");
    }
}
