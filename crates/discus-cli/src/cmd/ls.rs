//! `discus ls IMAGE [PATH]`: the files inside an image, like `ls -l` (mode, size, date, name),
//! from whichever tree the disc records best (or the one `--fs` names); `--json` adds the extents
//! and the tree; `--boot` lists the El Torito boot catalog.

use std::io::Write;
use std::path::PathBuf;

use discus::fs::{Image, Kind, Node, Tree, TreeKind};
use serde_json::{Value, json};

use crate::{Context, Status};

/// Arguments of `ls`.
#[derive(clap::Args)]
pub struct Args {
    /// The image (any format discus reads).
    pub image: PathBuf,
    /// A file or folder inside the image (default: the root).
    pub path: Option<String>,
    /// The tree to read: rr, udf, joliet, iso1999 or iso (default: the best the disc has).
    #[arg(long, value_name = "TREE", value_parser = parse_tree)]
    pub fs: Option<TreeKind>,
    /// The volume to read on a PS2 dual-layer disc: 0 (layer 0) or 1 (layer 1's own volume).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub layer: usize,
    /// List everything below, with paths.
    #[arg(long, short = 'R')]
    pub recursive: bool,
    /// List the El Torito boot catalog too.
    #[arg(long)]
    pub boot: bool,
    /// Print JSON (every entry below PATH, with its extents) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `--fs` values.
pub fn parse_tree(name: &str) -> Result<TreeKind, String> {
    TreeKind::from_name(name)
        .ok_or_else(|| format!("unknown tree {name}; choose one of rr, udf, joliet, iso1999, iso"))
}

/// `ls -l`'s mode column.
fn mode_text(node: &Node) -> String {
    let mode = node.effective_mode();
    let kind = match &node.kind {
        Kind::Directory => 'd',
        Kind::Symlink(_) => 'l',
        Kind::File => '-',
        Kind::Special { mode, .. } => match mode & 0o170000 {
            0o060000 => 'b',
            0o020000 => 'c',
            0o010000 => 'p',
            0o140000 => 's',
            _ => '?',
        },
    };
    let mut text = String::from(kind);
    for shift in [6u32, 3, 0] {
        let bits = (mode >> shift) & 7;
        text.push(if bits & 4 != 0 { 'r' } else { '-' });
        text.push(if bits & 2 != 0 { 'w' } else { '-' });
        text.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    text
}

fn kind_name(node: &Node) -> &'static str {
    match node.kind {
        Kind::Directory => "directory",
        Kind::File => "file",
        Kind::Symlink(_) => "symlink",
        Kind::Special { .. } => "special",
    }
}

fn line(node: &Node, name: &str) -> String {
    let date = node
        .modified
        .map(|t| t.display()[..16].to_string())
        .unwrap_or_else(|| "-".repeat(16));
    let mut text = format!("{} {:>12} {date} {name}", mode_text(node), node.size);
    if let Kind::Symlink(target) = &node.kind {
        text.push_str(" -> ");
        text.push_str(target);
    }
    text
}

fn entry_json(node: &Node, path: &str) -> Value {
    let extents: Vec<Value> = node
        .extents
        .iter()
        .map(|e| json!({"block": e.block, "bytes": e.bytes}))
        .collect();
    json!({
        "path": path,
        "type": kind_name(node),
        "size": node.size,
        "mode": format!("{:o}", node.effective_mode()),
        "modified": node.modified.map(|t| t.0),
        "extents": extents,
        "inline": node.inline.is_some(),
        "hidden": node.hidden,
        "associated": node.associated,
        "xa_form2": node.xa_form2.is_some(),
        "zisofs": node.zisofs,
        "target": match &node.kind { Kind::Symlink(t) => Some(t.clone()), _ => None },
        "unreadable": node.unreadable,
    })
}

fn boot_json(image: &mut Image, tree: &Tree) -> anyhow::Result<Value> {
    Ok(match image.boot_entries()? {
        None => Value::Null,
        Some(entries) => Value::Array(
            entries
                .iter()
                .map(|e| {
                    let file = boot_file(tree, e.load_block);
                    json!({
                        "file": file.as_ref().map(|(path, _)| format!("/{path}")),
                        "file_size": file.as_ref().map(|(_, size)| *size).or(e.emulated_size()),
                        "platform": e.platform_name(),
                        "bootable": e.bootable,
                        "emulation": e.emulation(),
                        "load_segment": e.load_segment,
                        "system_type": e.system_type,
                        "sector_count": e.sector_count,
                        "load_block": e.load_block,
                    })
                })
                .collect(),
        ),
    })
}

/// The path of the file a boot entry loads, and that file's real size, found as the entry whose
/// data starts at the entry's load block (the catalog only says how many 512-byte sectors to load).
pub fn boot_file(tree: &Tree, load_block: u32) -> Option<(String, u64)> {
    tree.walk(0, "").into_iter().find_map(|(path, index)| {
        let node = &tree.nodes[index];
        (node.kind == Kind::File
            && node.extents.first().and_then(|e| e.block) == Some(u64::from(load_block)))
        .then_some((path, node.size))
    })
}

/// Runs `ls`.
pub fn run(args: Args, context: &Context, out: &mut dyn Write) -> anyhow::Result<Status> {
    let mut image = discus::open_filesystem(&args.image)?;
    image.set_layer(args.layer)?;
    let tree = image.tree(args.fs)?;
    for warning in &tree.warnings {
        context.warn(warning);
    }
    let wanted = args.path.as_deref().unwrap_or("");
    let start = tree
        .lookup(wanted)
        .ok_or_else(|| anyhow::anyhow!("{}: no such file or folder in the image", wanted))?;
    let start_path = wanted.trim_matches('/').to_string();
    if args.json {
        let entries: Vec<Value> = tree
            .walk(start, &start_path)
            .into_iter()
            .map(|(path, index)| entry_json(&tree.nodes[index], &format!("/{path}")))
            .collect();
        let volume = image
            .volume()
            .map(|v| json!({"label": v.label, "blocks": v.blocks, "created": v.created}));
        let trees: Vec<&str> = image.trees().iter().map(|k| k.name()).collect();
        let boot = boot_json(&mut image, &tree)?;
        let document = json!({
            "image": args.image,
            "tree": tree.kind.name(),
            "trees": trees,
            "layer": args.layer,
            "layers": image.layers(),
            "volume": volume,
            "boot": boot,
            "entries": entries,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&document)?)?;
        return Ok(Status::Success);
    }
    let node = &tree.nodes[start];
    if args.recursive {
        for (path, index) in tree.walk(start, &start_path).into_iter().skip(1) {
            writeln!(out, "{}", line(&tree.nodes[index], &path))?;
        }
    } else if node.is_dir() {
        for &child in &node.children {
            let child = &tree.nodes[child];
            writeln!(out, "{}", line(child, &child.name))?;
        }
    } else {
        writeln!(out, "{}", line(node, &start_path))?;
    }
    if args.boot {
        match image.boot_entries()? {
            None => writeln!(out, "boot: no El Torito boot catalog")?,
            Some(entries) => {
                for e in entries {
                    let file = boot_file(&tree, e.load_block)
                        .map(|(path, size)| format!(", file /{path} ({size} bytes)"))
                        .unwrap_or_default();
                    writeln!(
                        out,
                        "boot: {}{}, {}, load {} x 512 bytes from block {}{file}",
                        e.platform_name(),
                        if e.bootable { " bootable" } else { "" },
                        e.emulation(),
                        e.sector_count,
                        e.load_block
                    )?;
                }
            }
        }
    }
    Ok(Status::Success)
}
