//! Naming the game on a console disc from what the disc itself says: PlayStation and
//! PlayStation 2 `SYSTEM.CNF` (`BOOT = cdrom:\SLUS_004.02;1`, `BOOT2 = cdrom0:\SLUS_203.12;1`),
//! PSP `UMD_DATA.BIN` (`ULUS-10041|…`) and `PSP_GAME/PARAM.SFO` (`DISC_ID`, `TITLE`), and the
//! header Sega consoles read from the first block of the data track (Saturn, Mega-CD/Sega CD) or of
//! the high-density area (Dreamcast), and the boot record of a PC Engine CD-ROM² disc (the second
//! block of its data track: the system's identification, then the program's name).

use std::io::Read;

use crate::Image;
use crate::tree::{Kind, Tree, TreeKind};
use discus_core::Result;

/// Bytes of a game's identity file read at most: they are a few hundred bytes.
const MAX_FILE: u64 = 64 * 1024;

/// What a disc says about the game on it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Game {
    /// The console: "PlayStation", "PlayStation 2" or "PSP".
    pub platform: Option<&'static str>,
    /// The product code, as databases write it (`SLUS-20312`, `UCJS-10041`).
    pub serial: Option<String>,
    /// The title, where the disc records one (PSP).
    pub title: Option<String>,
    /// The executable the console boots, as `SYSTEM.CNF` names it.
    pub boot: Option<String>,
}

impl Game {
    /// Whether anything was found.
    pub fn is_empty(&self) -> bool {
        self.platform.is_none() && self.serial.is_none() && self.title.is_none()
    }
}

/// Reads what the disc says about its game. A disc that is no console disc gives an empty
/// [`Game`]; a file that cannot be read is left out, not an error.
pub fn identify(image: &mut Image) -> Result<Game> {
    if let Some(game) = sega_header(image)? {
        return Ok(game);
    }
    let boot = u64::from(image.blocks().first()) + 1;
    if image.blocks().holds(boot, 1)
        && let Some(game) = parse_pc_engine_boot(&image.blocks().block(boot)?)
    {
        return Ok(game);
    }
    // Consoles read the primary tree: names are upper case with versions, as they expect them.
    let kind = match image.trees().contains(&TreeKind::Iso9660) {
        true => Some(TreeKind::Iso9660),
        false => None,
    };
    // Every identity file is in the root or one folder below it: a large disc's tree is not
    // read whole for them.
    let tree = image.tree_to_depth(kind, 1)?;
    let mut game = Game::default();
    if let Some(text) = read_named(image, &tree, "SYSTEM.CNF") {
        let text = String::from_utf8_lossy(&text).into_owned();
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let (key, value) = (key.trim().to_ascii_uppercase(), value.trim());
            let platform = match key.as_str() {
                "BOOT2" => "PlayStation 2",
                "BOOT" => "PlayStation",
                _ => continue,
            };
            game.platform = Some(platform);
            game.boot = Some(value.to_string());
            game.serial = serial_of_boot(value);
        }
    }
    if let Some(umd) = read_named(image, &tree, "UMD_DATA.BIN") {
        let text = String::from_utf8_lossy(&umd).into_owned();
        if let Some(id) = text.split('|').next().filter(|s| !s.trim().is_empty()) {
            game.platform = Some("PSP");
            game.serial = Some(id.trim().to_string());
        }
    }
    if let Some(sfo) = tree
        .lookup("PSP_GAME/PARAM.SFO")
        .and_then(|i| read_node(image, &tree, i))
    {
        let fields = param_sfo(&sfo);
        if let Some(id) = fields.iter().find(|(k, _)| k == "DISC_ID") {
            game.platform = Some("PSP");
            if game.serial.is_none() {
                game.serial = Some(dashed(&id.1));
            }
        }
        if let Some(title) = fields.iter().find(|(k, _)| k == "TITLE") {
            game.title = Some(title.1.clone());
        }
    }
    Ok(game)
}

/// The block a Dreamcast's high-density area starts at, where its IP.BIN header is.
const DREAMCAST_HIGH_DENSITY: u64 = 45_000;

/// A Sega header at the start of the data track (or of a Dreamcast's high-density area): the
/// hardware id, then the product number and title at places fixed per console.
fn sega_header(image: &mut Image) -> Result<Option<Game>> {
    let first = u64::from(image.blocks().first());
    for block in [first, DREAMCAST_HIGH_DENSITY] {
        if !image.blocks().holds(block, 1) {
            continue;
        }
        let header = image.blocks().block(block)?;
        if let Some(game) = parse_sega_header(&header) {
            return Ok(Some(game));
        }
    }
    Ok(None)
}

/// Reads a Sega header: Saturn (`SEGA SEGASATURN `, product at 0x20, title at 0x60), Dreamcast
/// (`SEGA SEGAKATANA `, product at 0x40, title at 0x80), Mega-CD/Sega CD (`SEGADISCSYSTEM`, then
/// a Mega Drive header at 0x100: overseas title at 0x150, serial `GM XXXXXXXX-XX` at 0x180).
pub fn parse_sega_header(block: &[u8]) -> Option<Game> {
    let text = |from: usize, length: usize| -> Option<String> {
        let field = block.get(from..from + length)?;
        let value = String::from_utf8_lossy(field)
            .trim_matches(|c: char| c == ' ' || c == '\0')
            .to_string();
        (!value.is_empty()).then_some(value)
    };
    let (platform, serial, title) = if block.starts_with(b"SEGA SEGASATURN") {
        ("Saturn", text(0x20, 10), text(0x60, 112))
    } else if block.starts_with(b"SEGA SEGAKATANA") {
        ("Dreamcast", text(0x40, 10), text(0x80, 128))
    } else if block.starts_with(b"SEGADISCSYSTEM") {
        let serial = text(0x180, 14).map(|s| s.trim_start_matches("GM").trim().to_string());
        (
            "Mega-CD",
            serial,
            text(0x150, 48).or_else(|| text(0x120, 48)),
        )
    } else {
        return None;
    };
    Some(Game {
        platform: Some(platform),
        serial,
        title,
        boot: None,
    })
}

/// The identification a PC Engine CD-ROM² System Card checks in the boot record, at byte 32: the
/// system's name and Hudson's and NEC's copyright, each ended by a NUL.
const PC_ENGINE_ID: &[u8] =
    b"PC Engine CD-ROM SYSTEM\0Copyright HUDSON SOFT / NEC Home Electronics,Ltd.\0";

/// Reads a PC Engine CD boot record: after the identification (bytes 32–105) the program's name,
/// 16 bytes at 106, which 6 more bytes may continue. The disc records no product code.
pub fn parse_pc_engine_boot(block: &[u8]) -> Option<Game> {
    if block.get(32..32 + PC_ENGINE_ID.len())? != PC_ENGINE_ID {
        return None;
    }
    let name = block.get(106..128)?;
    // Names are ASCII or Shift-JIS; only what reads as text is kept.
    let title = String::from_utf8_lossy(name)
        .trim_matches(|c: char| c == ' ' || c == '\0')
        .to_string();
    Some(Game {
        platform: Some("PC Engine CD"),
        serial: None,
        title: (!title.is_empty() && !title.contains('\u{FFFD}')).then_some(title),
        boot: None,
    })
}

/// A file in the root by name, any case.
fn read_named(image: &mut Image, tree: &Tree, name: &str) -> Option<Vec<u8>> {
    let index = *tree.root().children.iter().find(|&&c| {
        let node = &tree.nodes[c];
        node.kind == Kind::File && node.name.eq_ignore_ascii_case(name)
    })?;
    read_node(image, tree, index)
}

fn read_node(image: &mut Image, tree: &Tree, index: usize) -> Option<Vec<u8>> {
    let node = &tree.nodes[index];
    let mut data = Vec::new();
    image
        .open_file(node)
        .ok()?
        .take(MAX_FILE)
        .read_to_end(&mut data)
        .ok()?;
    Some(data)
}

/// `cdrom0:\SLUS_203.12;1` → `SLUS-20312`: the file name without folder and version, its
/// underscore a dash and its dot gone, as game databases write the code.
pub fn serial_of_boot(value: &str) -> Option<String> {
    let name = value
        .rsplit(['\\', '/', ':'])
        .next()?
        .split(';')
        .next()?
        .trim();
    if name.is_empty() {
        return None;
    }
    Some(name.replace('_', "-").replace('.', ""))
}

/// `UCJS10041` → `UCJS-10041`: four letters, a dash, the digits.
fn dashed(id: &str) -> String {
    let id = id.trim();
    match (id.get(..4), id.get(4..)) {
        (Some(letters), Some(digits))
            if letters.bytes().all(|b| b.is_ascii_alphabetic()) && !digits.starts_with('-') =>
        {
            format!("{letters}-{digits}")
        }
        _ => id.to_string(),
    }
}

/// The text fields of a PSF (`PARAM.SFO`): header `\0PSF`, version, key table offset, data
/// table offset, count; then 16-byte index entries (key offset u16, format u16, length u32,
/// maximum u32, data offset u32). Format 0x0204 is UTF-8 text.
pub fn param_sfo(data: &[u8]) -> Vec<(String, String)> {
    let u32_at = |at: usize| {
        data.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let u16_at = |at: usize| {
        data.get(at..at + 2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let mut out = Vec::new();
    if data.get(..4) != Some(b"\0PSF") {
        return out;
    }
    let (Some(keys), Some(values), Some(count)) = (u32_at(8), u32_at(12), u32_at(16)) else {
        return out;
    };
    for n in 0..count.min(256) {
        let at = 20 + n * 16;
        let (Some(key_at), Some(format), Some(length), Some(value_at)) =
            (u16_at(at), u16_at(at + 2), u32_at(at + 4), u32_at(at + 12))
        else {
            break;
        };
        let Some(key) = data
            .get(keys.saturating_add(key_at)..)
            .and_then(|k| k.split(|&b| b == 0).next())
        else {
            continue;
        };
        if format != 0x0204 {
            continue;
        }
        let start = values.saturating_add(value_at);
        let Some(value) = data.get(start..start.saturating_add(length)) else {
            continue;
        };
        let text = String::from_utf8_lossy(value)
            .trim_end_matches('\0')
            .to_string();
        out.push((String::from_utf8_lossy(key).into_owned(), text));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(id: &[u8], fields: &[(usize, &[u8])]) -> Vec<u8> {
        let mut block = vec![b' '; 2048];
        block[..id.len()].copy_from_slice(id);
        for (at, value) in fields {
            block[*at..*at + value.len()].copy_from_slice(value);
        }
        block
    }

    #[test]
    fn sega_headers_give_product_and_title() {
        let saturn = header(
            b"SEGA SEGASATURN ",
            &[(0x20, b"MK-81009"), (0x60, b"NIGHTS")],
        );
        let game = parse_sega_header(&saturn).expect("saturn");
        assert_eq!(game.platform, Some("Saturn"));
        assert_eq!(game.serial.as_deref(), Some("MK-81009"));
        assert_eq!(game.title.as_deref(), Some("NIGHTS"));
        let dreamcast = header(
            b"SEGA SEGAKATANA ",
            &[(0x40, b"MK-51000"), (0x80, b"SONIC ADVENTURE")],
        );
        let game = parse_sega_header(&dreamcast).expect("dreamcast");
        assert_eq!(game.serial.as_deref(), Some("MK-51000"));
        let mega = header(
            b"SEGADISCSYSTEM  ",
            &[
                (0x150, b"SONIC THE HEDGEHOG CD"),
                (0x180, b"GM MK-4407 -00"),
            ],
        );
        let game = parse_sega_header(&mega).expect("mega-cd");
        assert_eq!(game.platform, Some("Mega-CD"));
        assert_eq!(game.serial.as_deref(), Some("MK-4407 -00"));
        assert_eq!(parse_sega_header(&[0u8; 2048]), None);
    }

    #[test]
    fn pc_engine_boot_records_give_the_program_name() {
        let mut block = vec![0u8; 2048];
        block[32..32 + PC_ENGINE_ID.len()].copy_from_slice(PC_ENGINE_ID);
        block[106..122].copy_from_slice(b"YS BOOK 1&2     ");
        let game = parse_pc_engine_boot(&block).unwrap();
        assert_eq!(game.platform, Some("PC Engine CD"));
        assert_eq!(game.title.as_deref(), Some("YS BOOK 1&2"));
        assert_eq!(game.serial, None);
        block[40] = b'x';
        assert!(parse_pc_engine_boot(&block).is_none());
    }

    #[test]
    fn serials_from_boot_lines_and_disc_ids() {
        assert_eq!(
            serial_of_boot(r"cdrom0:\SLUS_203.12;1").as_deref(),
            Some("SLUS-20312")
        );
        assert_eq!(
            serial_of_boot(r"cdrom:\SCES_004.52;1").as_deref(),
            Some("SCES-00452")
        );
        assert_eq!(dashed("UCJS10041"), "UCJS-10041");
        assert_eq!(dashed("ULUS-10041"), "ULUS-10041");
    }
}
