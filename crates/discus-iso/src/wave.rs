//! The 44-byte RIFF/WAVE header of CD audio: PCM, 2 channels, 44 100 Hz, 16 bits, little-endian —
//! exactly the bytes of an audio sector, so the samples follow the header unchanged.

/// The header of a WAV file holding `data_len` bytes of CD audio.
pub fn header(data_len: u64) -> [u8; 44] {
    // RIFF sizes are 32-bit; a CD track is far below 4 GiB.
    let data_len = u32::try_from(data_len).unwrap_or(u32::MAX - 36);
    let mut h = [0u8; 44];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&(data_len + 36).to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&2u16.to_le_bytes()); // channels
    h[24..28].copy_from_slice(&44_100u32.to_le_bytes());
    h[28..32].copy_from_slice(&(44_100u32 * 4).to_le_bytes()); // bytes per second
    h[32..34].copy_from_slice(&4u16.to_le_bytes()); // bytes per frame
    h[34..36].copy_from_slice(&16u16.to_le_bytes()); // bits per sample
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_len.to_le_bytes());
    h
}
