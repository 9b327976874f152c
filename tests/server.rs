//! `txlint server` spoken to as an editor does: JSON-RPC over its standard
//! input and output, with LSP's `Content-Length` framing.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

/// A running server and what it has said.
struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: mpsc::Receiver<Value>,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_txlint"))
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("txlint server starts");
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let (sent, messages) = mpsc::channel();
        std::thread::spawn(move || {
            loop {
                let mut length = None;
                let mut line = String::new();
                loop {
                    line.clear();
                    if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(value) = line.strip_prefix("Content-Length: ") {
                        length = value.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                if stdout.read_exact(&mut body).is_err() {
                    return;
                }
                let message: Value = serde_json::from_slice(&body).expect("a JSON message");
                if sent.send(message).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            messages,
            next_id: 1,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Send a request and wait for its response.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait_for(|message| message["id"] == id)
    }

    /// The first message that `wanted` accepts, skipping others.
    fn wait_for(&self, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self
                .messages
                .recv_timeout(Duration::from_secs(20))
                .expect("the server answers within 20 s");
            if wanted(&message) {
                return message;
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&self, uri: &str) -> Vec<Value> {
        let published = self.wait_for(|message| {
            message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
        });
        published["params"]["diagnostics"]
            .as_array()
            .expect("a list")
            .clone()
    }
}

/// A Next.js route whose catch clause returns without ROLLBACK (also what
/// the Neovim test opens).
const BROKEN: &str = include_str!("editors/broken-route.ts");

#[test]
fn diagnostics_code_actions_and_shutdown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("app/api/orders/route.ts");
    std::fs::create_dir_all(path.parent().expect("folder")).expect("mkdir");
    let uri = format!("file://{}", path.display());
    let mut client = Client::start();

    let initialized = client.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    let capabilities = &initialized["result"]["capabilities"];
    assert_eq!(
        capabilities["textDocumentSync"]["change"], 1,
        "{initialized}"
    );
    assert_eq!(capabilities["codeActionProvider"], true);
    client.notify("initialized", json!({}));

    // Open: the missing ROLLBACK, with its code, documentation and path.
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "typescript", "version": 1, "text": BROKEN}}),
    );
    let diagnostics = client.diagnostics(&uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let finding = &diagnostics[0];
    assert_eq!(finding["code"], "TX001");
    assert_eq!(finding["severity"], 1);
    assert_eq!(finding["source"], "txlint");
    assert_eq!(
        finding["range"],
        json!({"start": {"line": 6, "character": 10}, "end": {"line": 6, "character": 31}})
    );
    assert!(
        finding["codeDescription"]["href"]
            .as_str()
            .is_some_and(|href| href.ends_with("/rules/TX001.md"))
    );
    let related: Vec<&str> = finding["relatedInformation"]
        .as_array()
        .expect("related information")
        .iter()
        .filter_map(|info| info["message"].as_str())
        .collect();
    assert!(related.contains(&"transaction begins here"), "{related:?}");
    assert!(
        related
            .iter()
            .any(|m| m.contains("catch clause returns here")),
        "{related:?}"
    );

    // Its fix rolls back in the catch clause; another quick fix suppresses
    // it on its line, with a reason to write.
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": finding["range"], "context": {"diagnostics": [finding]}}),
    );
    let titles: Vec<&str> = actions["result"]
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(|action| action["title"].as_str())
        .collect();
    assert!(
        titles.contains(&"Roll back in the catch clause"),
        "{titles:?}"
    );
    let action = actions["result"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|action| action["title"] == "Suppress TX001 on this line")
        .expect("a suppression");
    assert_eq!(action["kind"], "quickfix");
    let edit = &action["edit"]["changes"][&uri][0];
    assert_eq!(edit["newText"], "    // txlint-ignore TX001: <reason>\n");
    assert_eq!(edit["range"]["start"], json!({"line": 6, "character": 0}));

    // An unsaved edit that fixes it clears the finding.
    let fixed = BROKEN.replace(
        "  } catch (error) {\n",
        "  } catch (error) {\n    await client.query('ROLLBACK')\n",
    );
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());

    // Closing clears what was shown.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());

    let shutdown = client.request("shutdown", Value::Null);
    assert_eq!(shutdown["result"], Value::Null);
    client.notify("exit", Value::Null);
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = client.child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = client.child.kill();
            panic!("the server did not exit after `exit`");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(status.success(), "{status}");
}

const ROUTE_WITH_HELPER: &str = "\
import { pool } from './pool'
import { rollback } from './tx'

export async function POST() {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await client.query('INSERT INTO orders DEFAULT VALUES')
    await client.query('COMMIT')
  } catch (error) {
    await rollback(client)
    throw error
  } finally {
    client.release()
  }
}
";

/// A helper module's unsaved buffer wins over its file on disk, and a
/// change to it or to `txlint.toml` re-checks the open files.
#[test]
fn open_buffers_and_configuration_changes_recheck_open_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::write(
        root.join("pool.ts"),
        "import { Pool } from 'pg'\nexport const pool = new Pool()\n",
    )
    .expect("write");
    std::fs::write(
        root.join("tx.ts"),
        "export async function rollback(client) {\n  await client.query('ROLLBACK')\n}\n",
    )
    .expect("write");
    std::fs::write(root.join("route.ts"), ROUTE_WITH_HELPER).expect("write");
    let route = format!("file://{}", root.join("route.ts").display());
    let helper = format!("file://{}", root.join("tx.ts").display());

    let mut client = Client::start();
    let initialized = client.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {
            "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}
        }}),
    );
    assert!(initialized["result"]["capabilities"].is_object());
    client.notify("initialized", json!({}));
    // It asks to be told of changes to sources and configuration.
    let registration = client.wait_for(|m| m["method"] == "client/registerCapability");
    let watchers = &registration["params"]["registrations"][0]["registerOptions"]["watchers"];
    assert!(
        watchers
            .as_array()
            .is_some_and(|w| w.iter().any(|w| w["globPattern"] == "**/txlint.toml")),
        "{registration}"
    );

    // The helper on disk rolls back: nothing to report.
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": route, "languageId": "typescript", "version": 1, "text": ROUTE_WITH_HELPER}}),
    );
    assert_eq!(client.diagnostics(&route), Vec::<Value>::new());

    // The helper opened and edited, unsaved, to roll back nothing: the
    // route's catch no longer rolls back.
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": helper, "languageId": "typescript", "version": 1,
            "text": "export async function rollback(client) {\n  console.log('kept open')\n}\n"}}),
    );
    let codes = |diagnostics: Vec<Value>| -> Vec<String> {
        diagnostics
            .iter()
            .filter_map(|d| d["code"].as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(codes(client.diagnostics(&route)), ["TX001"]);

    // A configuration saved outside the editor that ignores the rule.
    std::fs::write(root.join("txlint.toml"), "ignore = [\"TX001\"]\n").expect("write");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": format!("file://{}", root.join("txlint.toml").display()), "type": 1}]}),
    );
    assert_eq!(client.diagnostics(&route), Vec::<Value>::new());

    // A finding with a fix offers it first, as the preferred action.
    let floating = ROUTE_WITH_HELPER.replace(
        "    await client.query('COMMIT')",
        "    client.query('COMMIT')",
    );
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": route, "version": 2}, "contentChanges": [{"text": floating}]}),
    );
    let diagnostics = client.diagnostics(&route);
    let finding = diagnostics
        .iter()
        .find(|d| d["code"] == "TX007")
        .expect("the floating COMMIT");
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": route}, "range": finding["range"], "context": {"diagnostics": [finding]}}),
    );
    let fix = &actions["result"][0];
    assert_eq!(fix["title"], "Add `await`", "{actions}");
    assert_eq!(fix["isPreferred"], true);
    let edit = &fix["edit"]["changes"][&route][0];
    assert_eq!(edit["newText"], "await ");
    assert_eq!(edit["range"]["start"], json!({"line": 8, "character": 4}));
    assert_eq!(actions["result"][1]["title"], "Suppress TX007 on this line");

    let shutdown = client.request("shutdown", Value::Null);
    assert_eq!(shutdown["result"], Value::Null);
    client.notify("exit", Value::Null);
    let _ = client.child.wait();
}
