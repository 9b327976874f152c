//! `txlint server`: a language server over standard input and output.
//! Diagnostics are published on open, change (the unsaved text, debounced)
//! and save, each with its code, a link to the rule's documentation and the
//! path that proves it as related information; a quick fix inserts a
//! suppression comment. Helper modules are read from the open buffers
//! before the disk, so an edit to one re-checks the open files, and so does
//! a change to `txlint.toml`. Analysis runs off the message thread: the
//! editor is never kept waiting, an edit makes the queued check of an older
//! text stale, and a panic while checking one file is logged, not fatal.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, CodeDescription, Diagnostic as LspDiagnostic,
    DiagnosticRelatedInformation, DiagnosticSeverity, DidChangeTextDocumentParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, DidSaveTextDocumentParams, Location,
    NumberOrString, Position, PublishDiagnosticsParams, Range, SaveOptions, ServerCapabilities,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, TextEdit, Uri, WorkspaceEdit,
};

use crate::config;
use crate::diagnostic::{Diagnostic, Severity};
use crate::fix::{Applicability, Fix};
use crate::{CheckOptions, OpenBuffers, check_text_among};

/// How long the checker waits for more edits before checking: typing
/// produces a change per key.
const DEBOUNCE: Duration = Duration::from_millis(20);

/// An open document: its latest text and the client's version of it.
#[derive(Clone)]
struct Document {
    text: String,
    version: i32,
}

/// What the message thread and the checker share.
#[derive(Default)]
struct State {
    documents: HashMap<String, Document>,
    /// The findings last published for each document, with their fixes,
    /// for code actions.
    published: HashMap<String, Vec<Published>>,
}

/// A finding as the client shows it, and the fix txlint has for it.
#[derive(Clone)]
struct Published {
    diagnostic: LspDiagnostic,
    fix: Option<Fix>,
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// Serve one client until it shuts down.
pub fn run() -> Result<(), String> {
    let (connection, io_threads) = Connection::stdio();
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..Default::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        ..Default::default()
    };
    let capabilities = serde_json::to_value(capabilities).map_err(|e| e.to_string())?;
    let client = connection
        .initialize(capabilities)
        .map_err(|e| e.to_string())?;
    // Changes made outside the editor (a `git checkout`, a saved
    // `txlint.toml`) reach the server only through watchers it asks for.
    let can_watch = client
        .pointer("/capabilities/workspace/didChangeWatchedFiles/dynamicRegistration")
        .and_then(serde_json::Value::as_bool)
        == Some(true);
    if can_watch {
        let _ = connection.sender.send(Message::Request(watch_request()));
    }

    let state: Shared = Arc::default();
    let (jobs, queued) = mpsc::channel::<String>();
    let checker = {
        let state = state.clone();
        let sender = connection.sender.clone();
        std::thread::Builder::new()
            .name("txlint-checker".into())
            .spawn(move || {
                check_queued(&queued, &state, &|message| {
                    let _ = sender.send(message);
                })
            })
            .map_err(|e| e.to_string())?
    };
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection
                    .handle_shutdown(&request)
                    .map_err(|e| e.to_string())?
                {
                    break;
                }
                let response = respond(&request, &state);
                let _ = connection.sender.send(Message::Response(response));
            }
            Message::Notification(notification) => notify(notification, &state, &jobs),
            Message::Response(_) => {}
        }
    }
    drop(jobs);
    let _ = checker.join();
    // The reader thread waits for the client to close standard input, which
    // a client need not do after `exit`: the process ends without it.
    drop(io_threads);
    Ok(())
}

/// The files whose change may change a finding: sources (helper modules),
/// `txlint.toml`, and the files that say how imports resolve.
fn watch_request() -> Request {
    let watchers: Vec<serde_json::Value> = [
        "**/txlint.toml",
        "**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs,rs}",
        "**/{tsconfig,jsconfig}*.json",
        "**/{package.json,pnpm-workspace.yaml,lerna.json}",
        "**/Cargo.toml",
    ]
    .iter()
    .map(|glob| serde_json::json!({ "globPattern": glob }))
    .collect();
    Request::new(
        "txlint/watch".to_string().into(),
        "client/registerCapability".to_string(),
        serde_json::json!({
            "registrations": [{
                "id": "txlint-watched-files",
                "method": "workspace/didChangeWatchedFiles",
                "registerOptions": { "watchers": watchers },
            }]
        }),
    )
}

/// Queue a check of every open document (a helper module or the
/// configuration changed), `first` ahead of the others.
fn recheck_open(state: &Shared, jobs: &mpsc::Sender<String>, first: Option<&str>) {
    let mut uris: Vec<String> = lock(state).documents.keys().cloned().collect();
    uris.sort_by_key(|uri| Some(uri.as_str()) != first);
    for uri in uris {
        let _ = jobs.send(uri);
    }
}

/// Whether a document is the configuration (whose saved text the checks
/// read) rather than code.
fn is_configuration(uri: &str) -> bool {
    uri.ends_with("/txlint.toml")
}

/// Keep the documents up to date and queue their checks. A document may be
/// a helper module of the others, so any change of one re-checks them all.
fn notify(notification: Notification, state: &Shared, jobs: &mpsc::Sender<String>) {
    match notification.method.as_str() {
        "textDocument/didOpen" => {
            if let Ok(params) =
                notification.extract::<DidOpenTextDocumentParams>("textDocument/didOpen")
            {
                let uri = params.text_document.uri.as_str().to_string();
                let document = Document {
                    text: params.text_document.text,
                    version: params.text_document.version,
                };
                lock(state).documents.insert(uri.clone(), document);
                recheck_open(state, jobs, Some(&uri));
            }
        }
        "textDocument/didChange" => {
            if let Ok(params) =
                notification.extract::<DidChangeTextDocumentParams>("textDocument/didChange")
                && let Some(change) = params.content_changes.into_iter().last()
            {
                let uri = params.text_document.uri.as_str().to_string();
                let document = Document {
                    text: change.text,
                    version: params.text_document.version,
                };
                lock(state).documents.insert(uri.clone(), document);
                // The configuration counts once saved.
                if !is_configuration(&uri) {
                    recheck_open(state, jobs, Some(&uri));
                }
            }
        }
        "textDocument/didSave" => {
            if let Ok(params) =
                notification.extract::<DidSaveTextDocumentParams>("textDocument/didSave")
            {
                recheck_open(state, jobs, Some(params.text_document.uri.as_str()));
            }
        }
        "workspace/didChangeWatchedFiles" => recheck_open(state, jobs, None),
        "textDocument/didClose" => {
            if let Ok(params) =
                notification.extract::<DidCloseTextDocumentParams>("textDocument/didClose")
            {
                let uri = params.text_document.uri.as_str().to_string();
                let mut shared = lock(state);
                shared.documents.remove(&uri);
                shared.published.remove(&uri);
                // Clearing what was shown is the checker's: it publishes
                // nothing for a document that is not open. The others now
                // read the closed one from disk.
                drop(shared);
                let _ = jobs.send(uri);
                recheck_open(state, jobs, None);
            }
        }
        _ => {}
    }
}

/// Answer a request: code actions; anything else is not supported.
fn respond(request: &Request, state: &Shared) -> Response {
    if request.method != "textDocument/codeAction" {
        return Response::new_err(
            request.id.clone(),
            lsp_server::ErrorCode::MethodNotFound as i32,
            format!("txlint does not answer `{}`", request.method),
        );
    }
    let Ok(params) = serde_json::from_value::<CodeActionParams>(request.params.clone()) else {
        return Response::new_err(
            request.id.clone(),
            lsp_server::ErrorCode::InvalidParams as i32,
            "not code action parameters".to_string(),
        );
    };
    let uri = params.text_document.uri;
    let state = lock(state);
    let text = state
        .documents
        .get(uri.as_str())
        .map(|d| d.text.as_str())
        .unwrap_or_default();
    let actions: Vec<CodeActionOrCommand> = state
        .published
        .get(uri.as_str())
        .into_iter()
        .flatten()
        .filter(|p| overlaps(&p.diagnostic.range, &params.range))
        .flat_map(|published| {
            let fix = published
                .fix
                .as_ref()
                .map(|fix| fix_action(&uri, text, &published.diagnostic, fix));
            fix.into_iter()
                .chain(suppression(&uri, text, &published.diagnostic))
        })
        .map(CodeActionOrCommand::CodeAction)
        .collect();
    Response::new_ok(request.id.clone(), actions)
}

/// The finding's fix as a quick fix; a safe one is the preferred action.
fn fix_action(uri: &Uri, text: &str, diagnostic: &LspDiagnostic, fix: &Fix) -> CodeAction {
    let edits = fix
        .edits
        .iter()
        .map(|edit| TextEdit {
            range: range(text, edit.span),
            new_text: edit.content.clone(),
        })
        .collect();
    CodeAction {
        title: fix.message.clone(),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), edits)])),
            ..Default::default()
        }),
        is_preferred: Some(fix.applicability == Applicability::Safe),
        ..Default::default()
    }
}

fn overlaps(a: &Range, b: &Range) -> bool {
    a.start.line <= b.end.line && b.start.line <= a.end.line
}

/// "Suppress TX001 on this line": a `txlint-ignore` comment on the line
/// above, indented like it, with a reason for the user to write.
fn suppression(uri: &Uri, text: &str, diagnostic: &LspDiagnostic) -> Option<CodeAction> {
    let Some(NumberOrString::String(code)) = &diagnostic.code else {
        return None;
    };
    let line = diagnostic.range.start.line;
    let indent: String = text
        .lines()
        .nth(line as usize)
        .unwrap_or_default()
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let at = Position { line, character: 0 };
    let edit = TextEdit {
        range: Range { start: at, end: at },
        new_text: format!("{indent}// txlint-ignore {code}: <reason>\n"),
    };
    Some(CodeAction {
        title: format!("Suppress {code} on this line"),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
            ..Default::default()
        }),
        ..Default::default()
    })
}

/// The checker: take what is queued (after a short wait for more edits),
/// check each document's latest text, and publish, unless a newer text
/// arrived meanwhile.
fn check_queued(queued: &mpsc::Receiver<String>, state: &Shared, send: &dyn Fn(Message)) {
    while let Ok(first) = queued.recv() {
        std::thread::sleep(DEBOUNCE);
        let mut uris = BTreeSet::from([first]);
        uris.extend(queued.try_iter());
        for uri in uris {
            let (document, open) = {
                let shared = lock(state);
                (shared.documents.get(&uri).cloned(), open_buffers(&shared))
            };
            let diagnostics = match &document {
                Some(document) => check(&uri, &document.text, open),
                None => Vec::new(),
            };
            let mut shared = lock(state);
            let current = shared.documents.get(&uri).map(|d| d.version);
            if current != document.as_ref().map(|d| d.version) {
                // Edited (or closed) while it was checked: the newer text
                // is queued already.
                continue;
            }
            if document.is_some() {
                shared.published.insert(uri.clone(), diagnostics.clone());
            }
            drop(shared);
            let diagnostics: Vec<LspDiagnostic> =
                diagnostics.into_iter().map(|p| p.diagnostic).collect();
            let Ok(uri) = Uri::from_str(&uri) else {
                continue;
            };
            let params = PublishDiagnosticsParams {
                uri,
                diagnostics,
                version: document.map(|d| d.version),
            };
            let notification =
                Notification::new("textDocument/publishDiagnostics".to_string(), params);
            send(Message::Notification(notification));
        }
    }
}

/// The open documents' texts by path, for the helper modules a check reads.
fn open_buffers(state: &State) -> OpenBuffers {
    let buffers = state
        .documents
        .iter()
        .filter_map(|(uri, document)| Some((path_of(uri)?, document.text.clone())))
        .collect();
    Arc::new(buffers)
}

/// Check a document's text as the file it names, with the nearest
/// configuration; a failure is logged on stderr (the client's log) and
/// shows nothing.
fn check(uri: &str, text: &str, open: OpenBuffers) -> Vec<Published> {
    let Some(path) = path_of(uri) else {
        return Vec::new();
    };
    if crate::source::Language::from_path(&path).is_none() {
        return Vec::new();
    }
    let options = options_for(&path);
    let report = match check_text_among(&path, text.to_string(), &options, open) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("txlint: {}: {err}", path.display());
            return Vec::new();
        }
    };
    let Ok(uri) = Uri::from_str(uri) else {
        return Vec::new();
    };
    report
        .files
        .iter()
        .flat_map(|file| &file.diagnostics)
        .map(|diagnostic| Published {
            diagnostic: to_lsp(&uri, text, diagnostic),
            fix: diagnostic.fix.clone(),
        })
        .collect()
}

/// The options of the configuration nearest to `path`, as the command
/// line would use them.
fn options_for(path: &Path) -> CheckOptions {
    let folder = path.parent().unwrap_or(Path::new("."));
    let config = config::discover(folder)
        .and_then(|found| match config::load(&found) {
            Ok(config) => Some(config),
            Err(err) => {
                eprintln!("txlint: {err}");
                None
            }
        })
        .unwrap_or_default();
    CheckOptions::from_config(config)
}

fn to_lsp(uri: &Uri, text: &str, diagnostic: &Diagnostic) -> LspDiagnostic {
    let rule = crate::rules::rule(diagnostic.code);
    let related = diagnostic
        .labels
        .iter()
        .map(|label| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), range(text, label.span)),
            message: label.message.clone(),
        })
        .collect();
    LspDiagnostic {
        range: range(text, diagnostic.span),
        severity: Some(match diagnostic.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(diagnostic.code.to_string())),
        code_description: rule
            .and_then(|rule| Uri::from_str(&rule.url()).ok())
            .map(|href| CodeDescription { href }),
        source: Some("txlint".to_string()),
        message: if diagnostic.help.is_empty() {
            diagnostic.message.clone()
        } else {
            format!("{}\nhelp: {}", diagnostic.message, diagnostic.help)
        },
        related_information: Some(related),
        ..Default::default()
    }
}

/// A byte span as an LSP range: zero-based lines, UTF-16 columns.
fn range(text: &str, span: crate::source::Span) -> Range {
    let span = crate::output::clamp_span(text, span);
    Range {
        start: position(text, span.start as usize),
        end: position(text, span.end as usize),
    }
}

fn position(text: &str, offset: usize) -> Position {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position {
        line: before.matches('\n').count() as u32,
        character: before[line_start..].encode_utf16().count() as u32,
    }
}

/// The file a `file:` URI names, percent-decoded.
fn path_of(uri: &str) -> Option<PathBuf> {
    let encoded = uri.strip_prefix("file://")?;
    let bytes = encoded.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        match (bytes[at], bytes.get(at + 1..at + 3)) {
            (b'%', Some(hex)) => {
                let value = std::str::from_utf8(hex)
                    .ok()
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())?;
                decoded.push(value);
                at += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8(decoded).ok().map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let text = "let a = 1\nconst é = '😀'; x";
        let x = text.rfind('x').expect("x");
        // `é` is one UTF-16 unit, `😀` two.
        assert_eq!(
            position(text, x),
            Position {
                line: 1,
                character: 16
            }
        );
        assert_eq!(
            position(text, 0),
            Position {
                line: 0,
                character: 0
            }
        );
    }

    #[test]
    fn file_uris_are_decoded() {
        assert_eq!(
            path_of("file:///srv/app/api/%5Bid%5D/route%20old.ts"),
            Some(PathBuf::from("/srv/app/api/[id]/route old.ts"))
        );
        assert_eq!(path_of("untitled:Untitled-1"), None);
    }
}
