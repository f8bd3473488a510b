//! Just enough ISO 9660 to say what a data track holds: the Primary Volume Descriptor at logical
//! sector 16, its label and size, checked both-endian.

/// The logical sector of the first volume descriptor.
pub const PVD_SECTOR: u32 = 16;

/// What the Primary Volume Descriptor says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volume {
    /// The volume identifier (label), trimmed.
    pub label: String,
    /// The system identifier, trimmed.
    pub system: String,
    /// Logical blocks in the volume.
    pub blocks: u32,
    /// Bytes per logical block (2048 on every CD).
    pub block_size: u16,
    /// Creation time as written (`YYYYMMDDHHMMSScc`), if set.
    pub created: Option<String>,
}

impl Volume {
    /// The volume's size in bytes.
    pub fn bytes(&self) -> u64 {
        u64::from(self.blocks) * u64::from(self.block_size)
    }
}

fn both_endian_u32(field: &[u8]) -> Option<u32> {
    let le = u32::from_le_bytes(field[..4].try_into().ok()?);
    let be = u32::from_be_bytes(field[4..8].try_into().ok()?);
    (le == be).then_some(le)
}

fn both_endian_u16(field: &[u8]) -> Option<u16> {
    let le = u16::from_le_bytes(field[..2].try_into().ok()?);
    let be = u16::from_be_bytes(field[2..4].try_into().ok()?);
    (le == be).then_some(le)
}

fn text(field: &[u8]) -> String {
    String::from_utf8_lossy(field)
        .trim_end_matches([' ', '\0'])
        .to_string()
}

/// Reads a Primary Volume Descriptor from the 2048 bytes of logical sector 16, or `None` if the
/// sector is not one (wrong type, signature or version, or both-endian fields that disagree).
pub fn parse_pvd(sector: &[u8]) -> Option<Volume> {
    if sector.len() < 2048 || sector[0] != 1 || &sector[1..6] != b"CD001" || sector[6] != 1 {
        return None;
    }
    let created = &sector[813..829];
    Some(Volume {
        label: text(&sector[40..72]),
        system: text(&sector[8..40]),
        blocks: both_endian_u32(&sector[80..88])?,
        block_size: both_endian_u16(&sector[128..132])?,
        created: (created.iter().all(u8::is_ascii_digit) && created.iter().any(|&b| b != b'0'))
            .then(|| text(created)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_mismatched_both_endian_size() {
        let mut pvd = vec![0u8; 2048];
        pvd[0] = 1;
        pvd[1..6].copy_from_slice(b"CD001");
        pvd[6] = 1;
        pvd[80..84].copy_from_slice(&10u32.to_le_bytes());
        pvd[84..88].copy_from_slice(&10u32.to_be_bytes());
        pvd[128..130].copy_from_slice(&2048u16.to_le_bytes());
        pvd[130..132].copy_from_slice(&2048u16.to_be_bytes());
        pvd[40..45].copy_from_slice(b"LABEL");
        let volume = parse_pvd(&pvd).expect("valid PVD");
        assert_eq!(volume.label, "LABEL");
        assert_eq!(volume.bytes(), 20480);
        pvd[84..88].copy_from_slice(&11u32.to_be_bytes());
        assert_eq!(parse_pvd(&pvd), None);
    }
}
