//! `--format sarif`: one SARIF 2.1.0 log, as GitHub code scanning and other
//! SARIF viewers read it. Plain serde structs; every registered rule is
//! described in the driver, every diagnostic is one result.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Report, Severity, stable_hash};
use crate::output::{Location, clamp_span, display_path, locate_region};
use crate::rules::{RULES, Rule};
use crate::source::{LineIndex, SourceFile, Span};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/txlint/txlint";
/// The base that relative artifact URIs are resolved against: the working
/// directory, which is what displayed paths are relative to.
const SRCROOT: &str = "%SRCROOT%";
/// GitHub shows at most this many characters of a rule's full description.
const MAX_DESCRIPTION_CHARS: usize = 1024;

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    original_uri_base_ids: BTreeMap<&'static str, BaseLocation>,
    /// Columns count Unicode scalars, as in every txlint format; SARIF's
    /// default would be UTF-16 code units.
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: &'static str,
    name: &'static str,
    short_description: Text<'static>,
    full_description: Text<'static>,
    help: Help,
    help_uri: String,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Help {
    text: &'static str,
    markdown: &'static str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct BaseLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<String>,
    description: Text<'static>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text<'a>,
    locations: [SarifLocation<'a>; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation<'a>>,
    /// The path the finding proves, step by step (transaction begins here,
    /// this call can throw, catch returns here), for code scanning's
    /// "show paths".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    code_flows: Vec<CodeFlow<'a>>,
    /// The edits that repair it, where txlint has a fix.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix<'a>>,
    partial_fingerprints: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix<'a> {
    description: Text<'a>,
    artifact_changes: [ArtifactChange<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange<'a> {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement<'a>>,
}

/// An empty `deletedRegion` inserts.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement<'a> {
    deleted_region: Region,
    inserted_content: Text<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CodeFlow<'a> {
    thread_flows: [ThreadFlow<'a>; 1],
}

#[derive(Serialize)]
struct ThreadFlow<'a> {
    locations: Vec<ThreadFlowLocation<'a>>,
}

#[derive(Serialize)]
struct ThreadFlowLocation<'a> {
    location: SarifLocation<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

/// 1-based lines and columns; `end_column` is the column after the last
/// character. No `charOffset`/`charLength`: txlint's offsets are bytes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
struct Text<'a> {
    text: std::borrow::Cow<'a, str>,
}

impl<'a> Text<'a> {
    fn new(text: impl Into<std::borrow::Cow<'a, str>>) -> Self {
        Text { text: text.into() }
    }
}

pub(crate) fn write(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let root = std::env::current_dir().ok();
    write_with_root(report, root.as_deref(), out)
}

/// `root` is the directory relative paths are relative to, when known.
fn write_with_root(
    report: &Report,
    root: Option<&Path>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut fingerprints = Fingerprints::default();
    let mut results = Vec::with_capacity(report.diagnostic_count());
    for file in &report.files {
        let artifact = artifact_location(&file.source.path);
        let index = LineIndex::new(&file.source.text);
        for diagnostic in &file.diagnostics {
            results.push(result(
                &file.source,
                &index,
                &artifact,
                diagnostic,
                &mut fingerprints,
            ));
        }
    }
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "txlint",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules: RULES.iter().map(descriptor).collect(),
                },
            },
            original_uri_base_ids: BTreeMap::from([(
                SRCROOT,
                BaseLocation {
                    uri: root.map(directory_uri),
                    description: Text::new("the directory txlint was run in"),
                },
            )]),
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

fn descriptor(rule: &'static Rule) -> ReportingDescriptor {
    let full = what_it_does(rule.doc).unwrap_or_else(|| rule.summary.to_string());
    ReportingDescriptor {
        id: rule.code,
        name: rule.name,
        short_description: Text::new(rule.summary),
        full_description: Text::new(full),
        help: Help {
            text: rule.doc,
            markdown: rule.doc,
        },
        help_uri: rule.url(),
        default_configuration: Configuration {
            level: level(rule.severity),
        },
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn result<'a>(
    source: &SourceFile,
    index: &LineIndex<'_>,
    artifact: &ArtifactLocation,
    diagnostic: &'a Diagnostic,
    fingerprints: &mut Fingerprints,
) -> SarifResult<'a> {
    let text = source.text.as_str();
    let physical = |span: Span| PhysicalLocation {
        artifact_location: artifact.clone(),
        region: region(locate_region(index, text, span)),
    };
    // The label that sits on the primary span says what it is.
    let primary_label = diagnostic
        .labels
        .iter()
        .find(|label| label.span == diagnostic.span);
    let related_locations = diagnostic
        .labels
        .iter()
        .enumerate()
        .map(|(i, label)| SarifLocation {
            id: Some(i + 1),
            physical_location: physical(label.span),
            message: Some(Text::new(label.message.as_str())),
        })
        .collect();
    // The labels in the order the path passes them: by where they are.
    let mut steps: Vec<&crate::diagnostic::Label> = diagnostic.labels.iter().collect();
    steps.sort_by_key(|label| (label.span.start, label.span.end));
    let code_flows = match steps.len() {
        0 | 1 => Vec::new(),
        _ => vec![CodeFlow {
            thread_flows: [ThreadFlow {
                locations: steps
                    .into_iter()
                    .map(|label| ThreadFlowLocation {
                        location: SarifLocation {
                            id: None,
                            physical_location: physical(label.span),
                            message: Some(Text::new(label.message.as_str())),
                        },
                    })
                    .collect(),
            }],
        }],
    };
    let hash = line_hash(
        diagnostic.code,
        &display_path(&source.path),
        &diagnostic.function,
        line_text(text, diagnostic.span),
    );
    let fixes = diagnostic
        .fix
        .iter()
        .map(|fix| SarifFix {
            description: Text::new(fix.message.as_str()),
            artifact_changes: [ArtifactChange {
                artifact_location: artifact.clone(),
                replacements: fix
                    .edits
                    .iter()
                    .map(|edit| Replacement {
                        deleted_region: region(locate_region(index, text, edit.span)),
                        inserted_content: Text::new(edit.content.as_str()),
                    })
                    .collect(),
            }],
        })
        .collect();
    SarifResult {
        rule_id: diagnostic.code,
        rule_index: RULES.iter().position(|rule| rule.code == diagnostic.code),
        level: level(diagnostic.severity),
        message: Text::new(diagnostic.message.as_str()),
        locations: [SarifLocation {
            id: None,
            physical_location: physical(diagnostic.span),
            message: primary_label.map(|label| Text::new(label.message.as_str())),
        }],
        related_locations,
        code_flows,
        fixes,
        partial_fingerprints: BTreeMap::from([(
            "primaryLocationLineHash",
            fingerprints.next(hash),
        )]),
    }
}

fn region(location: Location) -> Region {
    Region {
        start_line: location.start.line,
        start_column: location.start.column,
        end_line: location.end.line,
        end_column: location.end.column,
    }
}

/// GitHub's `<hash>:<n>`, where `n` counts the results of this run with the
/// same hash so far (1 for the first), so identical lines stay distinct.
#[derive(Default)]
pub(super) struct Fingerprints {
    seen: BTreeMap<u64, u32>,
}

impl Fingerprints {
    pub(super) fn next(&mut self, hash: u64) -> String {
        let count = self.seen.entry(hash).or_insert(0);
        *count += 1;
        format!("{hash:016x}:{count}")
    }
}

/// A hash of what identifies a finding across commits: the rule, the file,
/// the function, and the trimmed text of the line it starts on. Not the line
/// number, so an edit above the finding does not make it a new alert.
pub(super) fn line_hash(code: &str, path: &str, function: &str, line: &str) -> u64 {
    stable_hash(&[code, path, function, line])
}

/// The line the span starts on, without its line break and surrounding
/// whitespace.
pub(super) fn line_text(text: &str, span: Span) -> &str {
    let start = clamp_span(text, span).start as usize;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    text[line_start..line_end].trim()
}

/// A relative path resolved against `%SRCROOT%`; an absolute one (a file
/// outside the working directory) as a `file:` URI of its own.
fn artifact_location(path: &Path) -> ArtifactLocation {
    if path.has_root() {
        ArtifactLocation {
            uri: file_uri(path),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            // A `:` in a relative reference could be read as a scheme.
            uri: percent_encode(&display_path(path), false),
            uri_base_id: Some(SRCROOT),
        }
    }
}

/// `file:///home/me/app/` for a directory: the trailing `/` makes relative
/// URIs resolve inside it.
fn directory_uri(path: &Path) -> String {
    let mut uri = file_uri(path);
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

fn file_uri(path: &Path) -> String {
    let shown = display_path(path);
    let encoded = percent_encode(&shown, true);
    if shown.starts_with("//") {
        // A UNC path: `//server/share/...`.
        format!("file:{encoded}")
    } else if shown.starts_with('/') {
        format!("file://{encoded}")
    } else {
        // `C:/...`
        format!("file:///{encoded}")
    }
}

/// A `/`-separated path as a URI path: unreserved characters, `/` and the
/// sub-delimiters stay (`(group)`, `+page.svelte`, `@slot` read as written);
/// everything else, `[id]` and non-ASCII included, is percent-encoded.
fn percent_encode(path: &str, keep_colon: bool) -> String {
    let mut encoded = String::with_capacity(path.len());
    for &byte in path.as_bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || b"-._~/!$&'()*+,;=@".contains(&byte)
            || (keep_colon && byte == b':');
        if keep {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The "What it does" section of a rule's doc as plain text: paragraphs
/// joined into single lines, list items on lines of their own, inline code
/// without its backticks, cut at a paragraph to fit GitHub's limit.
fn what_it_does(doc: &str) -> Option<String> {
    let mut lines = doc
        .lines()
        .skip_while(|line| line.trim() != "## What it does");
    lines.next()?;
    let mut blocks: Vec<String> = Vec::new();
    let mut in_block = false;
    for line in lines.take_while(|line| !line.starts_with('#')) {
        let line = line.trim();
        if line.is_empty() {
            in_block = false;
            continue;
        }
        let line = line.replace('`', "");
        let starts_item = line.starts_with("- ") || line.starts_with("* ");
        match blocks.last_mut() {
            Some(block) if in_block && !starts_item => {
                block.push(' ');
                block.push_str(&line);
            }
            Some(block) if in_block => {
                block.push('\n');
                block.push_str(&line);
            }
            _ => blocks.push(line),
        }
        in_block = true;
    }
    let mut text = String::new();
    for block in &blocks {
        let separator = if text.is_empty() { "" } else { "\n\n" };
        let chars = text.chars().count() + separator.len() + block.chars().count();
        if chars > MAX_DESCRIPTION_CHARS {
            break;
        }
        text.push_str(separator);
        text.push_str(block);
    }
    if text.is_empty() {
        // Even the first paragraph is too long: cut it at a word.
        let first = blocks.first()?;
        let cut: String = first.chars().take(MAX_DESCRIPTION_CHARS - 1).collect();
        let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
        text = format!("{cut}\u{2026}");
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use serde_json::{Value, json};

    use super::*;
    use crate::output::test_report;

    fn render_in(report: &Report, root: Option<&Path>) -> (String, Value) {
        let mut out = Vec::new();
        write_with_root(report, root, &mut out).expect("writes to a Vec");
        let text = String::from_utf8(out).expect("sarif output is UTF-8");
        let value = serde_json::from_str(&text).expect("sarif output parses");
        (text, value)
    }

    fn render(report: &Report) -> (String, Value) {
        render_in(report, Some(Path::new("/work/app")))
    }

    #[test]
    fn log_has_one_run_with_every_rule() {
        let (text, log) = render(&test_report::report());
        assert!(text.ends_with("}\n"));
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["$schema"], SCHEMA);
        let runs = log["runs"].as_array().expect("runs is an array");
        assert_eq!(runs.len(), 1);
        let run = &runs[0];
        assert_eq!(run["columnKind"], "unicodeCodePoints");
        assert_eq!(
            run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
            "file:///work/app/"
        );

        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "txlint");
        assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(driver["informationUri"], INFORMATION_URI);
        let rules = driver["rules"].as_array().expect("rules is an array");
        assert_eq!(rules.len(), RULES.len());
        for (descriptor, rule) in rules.iter().zip(RULES) {
            assert_eq!(descriptor["id"], rule.code);
            assert_eq!(descriptor["name"], rule.name);
            assert_eq!(descriptor["shortDescription"]["text"], rule.summary);
            assert_eq!(descriptor["help"]["markdown"], rule.doc);
            assert_eq!(descriptor["help"]["text"], rule.doc);
            assert_eq!(descriptor["helpUri"], rule.url());
            assert_eq!(
                descriptor["defaultConfiguration"]["level"],
                rule.severity.as_str()
            );
            let full = descriptor["fullDescription"]["text"]
                .as_str()
                .expect("full description is text");
            assert!(!full.is_empty() && full.chars().count() <= MAX_DESCRIPTION_CHARS);
            assert!(!full.contains('`') && !full.contains("##"), "{full}");
        }
    }

    #[test]
    fn result_carries_rule_level_message_and_locations() {
        let (_, log) = render(&test_report::report());
        let results = log["runs"][0]["results"].as_array().expect("array");
        assert_eq!(results.len(), 1);
        let result = &results[0];
        assert_eq!(result["ruleId"], "TX001");
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(RULES[index].code, "TX001");
        assert_eq!(result["level"], "error");
        assert_eq!(
            result["message"]["text"],
            "transaction begun here is not rolled back when the catch clause is taken"
        );
        // "client.query('BEGIN')": line 5, columns 11 to 32 (exclusive).
        assert_eq!(
            result["locations"],
            json!([{
                "physicalLocation": {
                    "artifactLocation": {"uri": "app/api/orders/route.ts", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 5, "startColumn": 11, "endLine": 5, "endColumn": 32}
                },
                "message": {"text": "transaction begins here"}
            }])
        );
        let related = result["relatedLocations"].as_array().expect("array");
        assert_eq!(related.len(), 2);
        assert_eq!(related[0]["id"], 1);
        assert_eq!(related[0]["message"]["text"], "transaction begins here");
        assert_eq!(related[1]["id"], 2);
        assert_eq!(
            related[1]["message"]["text"],
            "catch clause returns here without ROLLBACK"
        );
        assert_eq!(
            related[1]["physicalLocation"]["region"],
            json!({"startLine": 8, "startColumn": 5, "endLine": 8, "endColumn": 19})
        );
        // The path, step by step, in the order of the source.
        let steps = result["codeFlows"][0]["threadFlows"][0]["locations"]
            .as_array()
            .expect("a code flow");
        let messages: Vec<&str> = steps
            .iter()
            .filter_map(|step| step["location"]["message"]["text"].as_str())
            .collect();
        assert_eq!(
            messages,
            [
                "transaction begins here",
                "catch clause returns here without ROLLBACK"
            ]
        );
        assert_eq!(
            steps[1]["location"]["physicalLocation"]["region"],
            related[1]["physicalLocation"]["region"]
        );
        let fingerprint = result["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .expect("fingerprint");
        let hash = line_hash(
            "TX001",
            "app/api/orders/route.ts",
            "POST",
            "await client.query('BEGIN');",
        );
        assert_eq!(fingerprint, format!("{hash:016x}:1"));
        // No byte offsets in disguise.
        assert!(related[0]["physicalLocation"]["region"]["charOffset"].is_null());
    }

    #[test]
    fn fingerprint_ignores_line_numbers_and_counts_repeats() {
        let report = test_report::report();
        let (_, before) = render(&report);

        // Two blank lines above the finding: same fingerprint.
        let mut moved = test_report::report();
        moved.files[0].source.text = format!("\n\n{}", test_report::TEXT);
        let diagnostic = &mut moved.files[0].diagnostics[0];
        diagnostic.span = Span::new(diagnostic.span.start + 2, diagnostic.span.end + 2);
        let (_, after) = render(&moved);
        let fingerprint = |log: &Value, i: usize| {
            log["runs"][0]["results"][i]["partialFingerprints"]["primaryLocationLineHash"].clone()
        };
        assert_eq!(fingerprint(&before, 0), fingerprint(&after, 0));

        // The same finding twice on one line: `:1` then `:2`.
        let mut twice = test_report::report();
        let copy = twice.files[0].diagnostics[0].clone();
        twice.files[0].diagnostics.push(copy);
        let (_, log) = render(&twice);
        let first = fingerprint(&log, 0);
        let second = fingerprint(&log, 1);
        let first = first.as_str().expect("text");
        let second = second.as_str().expect("text");
        assert!(first.ends_with(":1") && second.ends_with(":2"));
        assert_eq!(first[..16], second[..16]);

        // Another function on the same line: another hash.
        let mut other = test_report::report();
        other.files[0].diagnostics[0].function = "GET".to_string();
        let (_, log) = render(&other);
        assert_ne!(fingerprint(&log, 0), fingerprint(&before, 0));
    }

    #[test]
    fn fnv1a_matches_the_reference_values() {
        // FNV-1a 64 of "" and "a" (from the FNV reference), to pin the
        // algorithm itself; `line_hash` adds a separator after each field.
        let fnv = |bytes: &[u8]| {
            let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
            for &byte in bytes {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
            hash
        };
        assert_eq!(fnv(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(line_hash("A", "b", "c", "d"), fnv(b"A\xffb\xffc\xffd\xff"));
    }

    #[test]
    fn uris_are_encoded_and_absolute_paths_have_no_base() {
        let relative = artifact_location(Path::new("app/api/[id]/caf\u{e9} x:y/(g)/+p.ts"));
        assert_eq!(relative.uri, "app/api/%5Bid%5D/caf%C3%A9%20x%3Ay/(g)/+p.ts");
        assert_eq!(relative.uri_base_id, Some(SRCROOT));

        let absolute = artifact_location(&PathBuf::from("/srv/other/a#b.ts"));
        assert_eq!(absolute.uri, "file:///srv/other/a%23b.ts");
        assert_eq!(absolute.uri_base_id, None);

        assert_eq!(
            directory_uri(Path::new("/srv/my app")),
            "file:///srv/my%20app/"
        );
        assert_eq!(directory_uri(Path::new("/")), "file:///");
    }

    #[test]
    fn unknown_root_is_described_not_guessed() {
        let (_, log) = render_in(&test_report::report(), None);
        assert_eq!(
            log["runs"][0]["originalUriBaseIds"],
            json!({"%SRCROOT%": {"description": {"text": "the directory txlint was run in"}}})
        );
    }

    #[test]
    fn edge_spans_make_valid_regions() {
        let (_, log) = render(&test_report::edge_report());
        let results = log["runs"][0]["results"].as_array().expect("array");
        assert_eq!(results.len(), 5);
        for result in results {
            let region = &result["locations"][0]["physicalLocation"]["region"];
            let start = (region["startLine"].as_u64(), region["startColumn"].as_u64());
            let end = (region["endLine"].as_u64(), region["endColumn"].as_u64());
            assert!(start.0 >= Some(1) && start.1 >= Some(1), "{region}");
            assert!(start <= end, "{region}");
            assert_eq!(result["level"], "warning");
        }
        // End of file without a final newline: the last of line 2's 12
        // scalars, as the full format draws it.
        assert_eq!(
            results[0]["locations"][0]["physicalLocation"]["region"],
            json!({"startLine": 2, "startColumn": 12, "endLine": 2, "endColumn": 13})
        );
        // Inside the emoji: widened to the whole char, one column.
        assert_eq!(
            results[2]["locations"][0]["physicalLocation"]["region"],
            json!({"startLine": 2, "startColumn": 10, "endLine": 2, "endColumn": 11})
        );
    }

    #[test]
    fn what_it_does_is_plain_text_in_paragraphs() {
        let doc = "# TX999 demo\n\n## What it does\n\nFinds `BEGIN`\nwithout end. Shapes:\n\n\
                   - one `a`;\n- two\n  wrapped.\n\nLast.\n\n## Why is this bad?\n\nNo.\n";
        assert_eq!(
            what_it_does(doc).expect("section exists"),
            "Finds BEGIN without end. Shapes:\n\n- one a;\n- two wrapped.\n\nLast."
        );
        assert_eq!(what_it_does("# TX999 demo\n\nNo sections.\n"), None);

        let long = format!("## What it does\n\n{}\n", "word ".repeat(400));
        let cut = what_it_does(&long).expect("section exists");
        assert_eq!(cut.chars().count(), MAX_DESCRIPTION_CHARS - 4);
        assert!(cut.ends_with("word\u{2026}"));
    }

    #[test]
    fn output_is_deterministic() {
        let (first, _) = render(&test_report::report());
        let (second, _) = render(&test_report::report());
        assert_eq!(first, second);
    }

    #[test]
    fn empty_report_is_a_complete_log() {
        let (_, log) = render(&Report::default());
        assert_eq!(log["runs"][0]["results"], json!([]));
        assert_eq!(
            log["runs"][0]["tool"]["driver"]["rules"]
                .as_array()
                .map(Vec::len),
            Some(RULES.len())
        );
    }
}
