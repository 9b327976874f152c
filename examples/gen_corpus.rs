//! Writes a deterministic corpus of TypeScript sources for benchmarks: a
//! web app's worth of UI components and utilities, and a few percent of
//! route handlers and services that touch a database (correct and buggy).
//!
//! cargo run --release --example gen_corpus -- --files 20000 --db-share 0.05 OUT

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A small, fixed pseudo-random sequence (xorshift), so the same arguments
/// always write the same bytes.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, share: f64) -> bool {
        (self.next() % 1_000_000) as f64 / 1_000_000.0 < share
    }
}

const NOUNS: &[&str] = &[
    "character",
    "interest",
    "order",
    "invoice",
    "customer",
    "session",
    "team",
    "project",
    "note",
    "comment",
    "tag",
    "report",
    "account",
    "payment",
    "shipment",
    "review",
    "message",
    "profile",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut files = 20_000usize;
    let mut db_share = 0.05f64;
    let mut out = None;
    let mut index = 0;
    while index < args.len() {
        match args[index].as_str() {
            "--files" => {
                index += 1;
                files = args
                    .get(index)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage());
            }
            "--db-share" => {
                index += 1;
                db_share = args
                    .get(index)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage());
            }
            path => out = Some(PathBuf::from(path)),
        }
        index += 1;
    }
    let out = out.unwrap_or_else(|| usage());
    let mut sequence = Sequence(0x9e37_79b9_7f4a_7c15);
    let mut bytes = 0usize;
    for n in 0..files {
        let noun = NOUNS[sequence.below(NOUNS.len())];
        let (path, text) = if sequence.chance(db_share) {
            match sequence.below(3) {
                0 => (
                    format!("app/api/{noun}s/{n}/route.ts"),
                    route(&mut sequence, noun, n),
                ),
                1 => (
                    format!("server/routes/{noun}-{n}.ts"),
                    express(&mut sequence, noun, n),
                ),
                _ => (
                    format!("lib/services/{noun}-service-{n}.ts"),
                    service(&mut sequence, noun, n),
                ),
            }
        } else if sequence.chance(0.6) {
            (
                format!("components/{noun}/{noun}-card-{n}.tsx"),
                component(&mut sequence, noun, n),
            )
        } else {
            (
                format!("lib/utils/{noun}-{n}.ts"),
                utility(&mut sequence, noun, n),
            )
        };
        bytes += text.len();
        write(&out.join(path), &text);
    }
    eprintln!(
        "wrote {files} files, {:.1} MB, to {}",
        bytes as f64 / 1e6,
        out.display()
    );
}

fn usage() -> ! {
    eprintln!("usage: gen_corpus [--files N] [--db-share 0.05] OUT");
    std::process::exit(2)
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|err| panic!("{}: {err}", parent.display()));
    }
    std::fs::write(path, text).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A Next.js route with a transaction: correct, or missing its ROLLBACK and
/// `finally` like the routes of the audit txlint grew out of.
fn route(sequence: &mut Sequence, noun: &str, n: usize) -> String {
    let buggy = sequence.chance(0.3);
    let mut text = String::new();
    let _ = writeln!(
        text,
        "import {{ NextRequest, NextResponse }} from 'next/server'"
    );
    let _ = writeln!(text, "import {{ getPool }} from '@/lib/db-pool'\n");
    let _ = writeln!(text, "const pool = getPool()\n");
    let _ = writeln!(
        text,
        "export async function GET(request: NextRequest, {{ params }}: {{ params: {{ id: string }} }}) {{"
    );
    let _ = writeln!(text, "  const client = await pool.connect()");
    let _ = writeln!(text, "  try {{");
    let _ = writeln!(
        text,
        "    const {{ rows }} = await client.query('SELECT * FROM {noun}s WHERE id = $1', [params.id])"
    );
    let _ = writeln!(text, "    return NextResponse.json(rows[0] ?? null)");
    let _ = writeln!(text, "  }} finally {{\n    client.release()\n  }}\n}}\n");
    let _ = writeln!(
        text,
        "export async function PUT(request: NextRequest, {{ params }}: {{ params: {{ id: string }} }}) {{"
    );
    if buggy {
        let _ = writeln!(
            text,
            "  try {{\n    const {{ entries }} = await request.json()"
        );
        let _ = writeln!(text, "    const client = await pool.connect()");
    } else {
        let _ = writeln!(
            text,
            "  const {{ entries }} = await request.json()\n  const client = await pool.connect()\n  try {{"
        );
    }
    let _ = writeln!(text, "    await client.query('BEGIN')");
    let _ = writeln!(
        text,
        "    await client.query('DELETE FROM {noun}_entries_{n} WHERE {noun}_id = $1', [params.id])"
    );
    let _ = writeln!(text, "    for (const entry of entries) {{");
    let _ = writeln!(
        text,
        "      await client.query('INSERT INTO {noun}_entries_{n} ({noun}_id, body) VALUES ($1, $2)', [params.id, entry.body])"
    );
    let _ = writeln!(text, "    }}\n    await client.query('COMMIT')");
    if buggy {
        let _ = writeln!(
            text,
            "    client.release()\n    return NextResponse.json({{ saved: entries.length }})"
        );
        let _ = writeln!(
            text,
            "  }} catch (error) {{\n    return NextResponse.json({{ error: 'Failed' }}, {{ status: 500 }})\n  }}\n}}"
        );
    } else {
        let _ = writeln!(
            text,
            "    return NextResponse.json({{ saved: entries.length }})"
        );
        let _ = writeln!(
            text,
            "  }} catch (error) {{\n    await client.query('ROLLBACK')"
        );
        let _ = writeln!(
            text,
            "    return NextResponse.json({{ error: 'Failed' }}, {{ status: 500 }})"
        );
        let _ = writeln!(text, "  }} finally {{\n    client.release()\n  }}\n}}");
    }
    text
}

fn express(sequence: &mut Sequence, noun: &str, n: usize) -> String {
    let release_in_finally = !sequence.chance(0.3);
    let mut text = format!(
        "import express from 'express'\nimport {{ pool }} from '../db'\n\nexport const router{n} = express.Router()\n\n\
         router{n}.get('/{noun}s/:id', async (req, res) => {{\n  const client = await pool.connect()\n"
    );
    if release_in_finally {
        let _ = writeln!(
            text,
            "  try {{\n    const {{ rows }} = await client.query('SELECT * FROM {noun}s WHERE id = $1', [req.params.id])"
        );
        let _ = writeln!(
            text,
            "    res.json(rows[0])\n  }} finally {{\n    client.release()\n  }}\n}})"
        );
    } else {
        let _ = writeln!(
            text,
            "  const {{ rows }} = await client.query('SELECT * FROM {noun}s WHERE id = $1', [req.params.id])"
        );
        let _ = writeln!(text, "  client.release()\n  res.json(rows[0])\n}})");
    }
    text
}

fn service(sequence: &mut Sequence, noun: &str, n: usize) -> String {
    let class = capitalized(noun);
    let methods = 2 + sequence.below(4);
    let mut text = format!(
        "import type {{ Pool }} from 'pg'\n\nexport class {class}Service{n} {{\n  constructor(private pool: Pool) {{}}\n"
    );
    for m in 0..methods {
        let _ = writeln!(
            text,
            "\n  async update{m}(id: number, value: string) {{\n    const client = await this.pool.connect()\n    try {{\n      \
             await client.query('BEGIN')\n      await client.query('UPDATE {noun}s SET field_{m} = $2 WHERE id = $1', [id, value])\n      \
             await client.query('COMMIT')\n    }} catch (error) {{\n      await client.query('ROLLBACK')\n      throw error\n    }} finally {{\n      \
             client.release()\n    }}\n  }}"
        );
    }
    text.push_str("}\n");
    text
}

fn component(sequence: &mut Sequence, noun: &str, n: usize) -> String {
    let class = capitalized(noun);
    let fields = 3 + sequence.below(8);
    let mut text = format!(
        "import {{ useState, useEffect }} from 'react'\n\ntype {class}{n}Props = {{\n  id: string\n  onSelect?: (id: string) => void\n}}\n\n\
         export function {class}Card{n}({{ id, onSelect }}: {class}{n}Props) {{\n  const [data, setData] = useState<Record<string, string> | null>(null)\n  \
         useEffect(() => {{\n    let cancelled = false\n    fetch(`/api/{noun}s/${{id}}`)\n      .then((response) => response.json())\n      \
         .then((json) => {{ if (!cancelled) setData(json) }})\n    return () => {{ cancelled = true }}\n  }}, [id])\n  \
         if (!data) return <div className=\"skeleton\" />\n  return (\n    <article onClick={{() => onSelect?.(id)}}>\n"
    );
    for field in 0..fields {
        let _ = writeln!(
            text,
            "      <p className=\"field-{field}\">{{data['field_{field}']}}</p>"
        );
    }
    text.push_str("    </article>\n  )\n}\n");
    text
}

fn utility(sequence: &mut Sequence, noun: &str, n: usize) -> String {
    let helpers = 3 + sequence.below(10);
    let mut text = String::new();
    for h in 0..helpers {
        let _ = writeln!(
            text,
            "export function format{h}_{n}(value: {{ {noun}Id: number; label: string; amount?: number }}): string {{\n  \
             const parts = [String(value.{noun}Id), value.label.trim()]\n  if (value.amount !== undefined) {{\n    \
             parts.push(value.amount.toFixed(2))\n  }}\n  return parts.filter(Boolean).join(' / ')\n}}\n"
        );
    }
    text
}
