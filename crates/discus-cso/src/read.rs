//! Reading: a [`SectorSource`] over a CSO, ZSO or DAX file with random access by block.
//!
//! The image is one Mode 1 data track of `uncompressed size / 2048` sectors, stored as 2048-byte
//! user data ([`Form::Cooked`]). A read decodes only the blocks that cover the sectors asked for:
//!
//! * blocks the read covers whole are decoded straight into the caller's buffer, in parallel when
//!   there are several (a conversion reads 512 sectors at a time, so CSO → ISO uses every core,
//!   or the `--threads` the conversion passes on through `set_threads`); their compressed bytes
//!   are fetched with one read when they lie together;
//! * a block the read covers only in part (random access, the short last block) is decoded into a
//!   one-block cache, so reading its neighbouring sectors next does not decode it again.
//!
//! Reading ahead is the conversion loop's business: it calls `read` from its own thread, batches
//! ahead of the writer, so decoding and the sink's I/O already overlap.
//!
//! Every decoded block must come out at exactly the block size (the last one may also come out at
//! what is left of the image); anything else is an error naming the block.

use std::fs::File;
use std::path::{Path, PathBuf};

use discus_core::{Disc, Error, Form, Lba, Result, SectorSource};
use rayon::prelude::*;

use crate::codec;
use crate::header::{self, BlockMap, Container, Packing, Span};

/// Bytes of one sector in the image.
const SECTOR: u64 = 2048;
/// Output bytes decoded per parallel group: bounds the compressed bytes held at once.
const GROUP_BYTES: u64 = 4 << 20;
/// Fewer whole blocks than this are decoded on the calling thread: handing them out costs more.
const PARALLEL_MIN_BLOCKS: usize = 4;

/// The open file and its checked layout.
struct Shared {
    path: PathBuf,
    file: File,
    map: BlockMap,
}

/// An opened CSO, ZSO or DAX file.
pub struct CompressedSource {
    shared: Shared,
    disc: Disc,
    warnings: Vec<String>,
    /// The last block decoded for a partial read: its number and its bytes.
    cache: Option<(u64, Vec<u8>)>,
    /// Compressed bytes of the blocks being decoded, reused between reads.
    packed: Vec<u8>,
    /// The stored form of a whole block seen to decode to zeros. Writers pack every zero block
    /// alike, so a block stored the same way is filled with zeros without decoding: padding, and
    /// the bulk of a sparse DVD image, read at the speed of `memset`.
    zero: Option<(Packing, Vec<u8>)>,
    /// The threads that decode, once told how many (`None`: rayon's pool, one per core).
    pool: Option<Decoders>,
}

/// How whole blocks are decoded when a caller has set the number of threads.
enum Decoders {
    /// On the calling thread.
    Here,
    /// On a pool of its own, of the size asked for.
    Pool(rayon::ThreadPool),
}

impl CompressedSource {
    /// Opens `path` and checks its header and index.
    pub fn open(path: &Path) -> Result<CompressedSource> {
        let file = discus_core::output::open_input(path)?;
        let (map, warnings) = header::read_map(path, &file)?;
        let sectors = u32::try_from(map.uncompressed / SECTOR)
            .ok()
            .filter(|s| i32::try_from(*s).is_ok())
            .ok_or_else(|| {
                Error::unsupported(
                    path,
                    format!(
                        "an image of {} bytes is more sectors than a disc address can reach",
                        map.uncompressed
                    ),
                )
            })?;
        let disc = Disc::user_data_image(sectors);
        Ok(CompressedSource {
            shared: Shared {
                path: path.to_path_buf(),
                file,
                map,
            },
            disc,
            warnings,
            cache: None,
            packed: Vec::new(),
            zero: None,
            pool: None,
        })
    }

    /// The container's layout.
    pub fn map(&self) -> &BlockMap {
        &self.shared.map
    }

    /// Reads the uncompressed bytes `[start, start + out.len())` of the image into `out`.
    fn read_bytes(&mut self, start: u64, out: &mut [u8]) -> Result<()> {
        let map = &self.shared.map;
        let block_size = u64::from(map.block_size);
        let whole_blocks = map.uncompressed / block_size;
        let end = start + out.len() as u64;
        let mut at = start;
        while at < end {
            let block = at / block_size;
            let block_start = block * block_size;
            let whole =
                at == block_start && block_start + block_size <= end && block < whole_blocks;
            if whole {
                // A run of whole blocks, up to a group's worth, decoded straight into `out`.
                let last_whole = (end / block_size)
                    .min(whole_blocks)
                    .min(block + GROUP_BYTES / block_size);
                let count = (last_whole - block).max(1);
                let from = (at - start) as usize;
                let to = from + (count * block_size) as usize;
                let mut run = |parallel: bool| {
                    decode_run(
                        &self.shared,
                        block,
                        count,
                        &mut out[from..to],
                        &mut self.packed,
                        &mut self.zero,
                        parallel,
                    )
                };
                match &self.pool {
                    None => run(true)?,
                    Some(Decoders::Here) => run(false)?,
                    Some(Decoders::Pool(pool)) => pool.install(|| run(true))?,
                }
                at += count * block_size;
            } else {
                let offset = (at - block_start) as usize;
                let take = (end.min(block_start + block_size) - at) as usize;
                let from = (at - start) as usize;
                self.load_block(block)?;
                let bytes = self.cache.as_ref().map_or(&[][..], |(_, b)| b.as_slice());
                let Some(piece) = bytes.get(offset..offset + take) else {
                    return Err(Error::at_block(
                        &self.shared.path,
                        block,
                        "decodes shorter than the image needs",
                    ));
                };
                out[from..from + take].copy_from_slice(piece);
                at += take as u64;
            }
        }
        Ok(())
    }

    /// Decodes block `block` into the one-block cache, unless it is there already.
    fn load_block(&mut self, block: u64) -> Result<()> {
        if self.cache.as_ref().is_none_or(|(held, _)| *held != block) {
            let shared = &self.shared;
            let mut bytes = self.cache.take().map(|(_, b)| b).unwrap_or_default();
            bytes.resize(shared.map.block_size as usize, 0);
            let span = span(shared, block)?;
            let (offset, len) = fetch_len(&shared.map, block, &span);
            self.packed.resize(len, 0);
            header::read_at(&shared.file, &shared.path, offset, &mut self.packed)?;
            let n = decode(
                &shared.map,
                &shared.path,
                block,
                span.packing,
                &self.packed,
                &mut bytes,
            )?;
            bytes.truncate(n);
            self.cache = Some((block, bytes));
        }
        Ok(())
    }
}

fn span(shared: &Shared, block: u64) -> Result<Span> {
    shared
        .map
        .span(block)
        .ok_or_else(|| Error::at_block(&shared.path, block, "is past the end of the index"))
}

/// The bytes worth reading for a block: a plain block's data without its padding, and at most
/// what any encoder could produce for a packed one (so a corrupt span cannot make us read
/// gigabytes; a real block that long would not decode anyway).
fn fetch_len(map: &BlockMap, block: u64, span: &Span) -> (u64, usize) {
    let limit = match span.packing {
        Packing::Plain => map.output_len(block),
        _ => codec::bound(map.block_size as usize) + 4096,
    };
    (span.offset, span.len.min(limit as u64) as usize)
}

/// One block of a run being decoded.
struct Job {
    block: u64,
    packing: Packing,
    /// Where its bytes start in the file.
    offset: u64,
    /// Where the bytes worth reading sit in the run's buffer.
    place: std::ops::Range<usize>,
}

/// Decodes `count` whole blocks from `first` into `out` (`count` × block size bytes), using
/// `packed` for their compressed bytes; blocks stored as `zero` says are filled with zeros, and
/// `zero` learns the stored form of the first packed block that decodes to zeros. `parallel`: on
/// the current rayon pool, else on this thread.
fn decode_run(
    shared: &Shared,
    first: u64,
    count: u64,
    out: &mut [u8],
    packed: &mut Vec<u8>,
    zero: &mut Option<(Packing, Vec<u8>)>,
    parallel: bool,
) -> Result<()> {
    let map = &shared.map;
    let mut jobs = Vec::with_capacity(count as usize);
    let mut high = 0u64;
    for block in first..first + count {
        let span = span(shared, block)?;
        let (offset, len) = fetch_len(map, block, &span);
        high = high.max(span.offset + span.len);
        jobs.push(Job {
            block,
            packing: span.packing,
            offset,
            place: 0..len,
        });
    }
    let wanted: u64 = jobs.iter().map(|j| j.place.len() as u64).sum();
    let low = jobs.iter().map(|j| j.offset).min().unwrap_or(0);
    if high.saturating_sub(low) <= wanted + wanted / 2 + 65536 {
        // The usual case: the blocks lie one after the other, so one read fetches them all.
        packed.resize(high.saturating_sub(low) as usize, 0);
        header::read_at(&shared.file, &shared.path, low, packed)?;
        for job in &mut jobs {
            let from = (job.offset - low) as usize;
            job.place = from..from + job.place.len();
        }
    } else {
        // Scattered or padded beyond reason: fetch block by block, only the useful bytes.
        packed.resize(wanted as usize, 0);
        let mut from = 0usize;
        for job in &mut jobs {
            let len = job.place.len();
            let piece = &mut packed[from..from + len];
            header::read_at(&shared.file, &shared.path, job.offset, piece)?;
            job.place = from..from + len;
            from += len;
        }
    }

    let (path, packed) = (shared.path.as_path(), packed.as_slice());
    let known_zero = zero.as_ref();
    let run = |(chunk, job): (&mut [u8], &Job)| -> Result<()> {
        let input = packed.get(job.place.clone()).unwrap_or(&[]);
        if known_zero.is_some_and(|(packing, bytes)| *packing == job.packing && bytes == input) {
            chunk.fill(0);
            return Ok(());
        }
        let n = decode(map, path, job.block, job.packing, input, chunk)?;
        if n == chunk.len() {
            Ok(())
        } else {
            Err(short_block(path, job.block, n, chunk.len()))
        }
    };
    let block_size = map.block_size as usize;
    let results: Vec<Result<()>> = if parallel && jobs.len() >= PARALLEL_MIN_BLOCKS {
        out.par_chunks_mut(block_size)
            .zip(jobs.par_iter())
            .map(run)
            .collect()
    } else {
        out.chunks_mut(block_size)
            .zip(jobs.iter())
            .map(run)
            .collect()
    };
    // The first failing block, whatever thread found it, so the message does not vary.
    results.into_iter().collect::<Result<()>>()?;
    if zero.is_none() {
        let zeros = out
            .chunks(block_size)
            .zip(&jobs)
            .find(|(chunk, job)| job.packing != Packing::Plain && codec::all_zero(chunk));
        if let Some((_, job)) = zeros {
            let input = packed.get(job.place.clone()).unwrap_or(&[]);
            *zero = Some((job.packing, input.to_vec()));
        }
    }
    Ok(())
}

fn short_block(path: &Path, block: u64, got: usize, want: usize) -> Error {
    Error::at_block(
        path,
        block,
        format!("inflates to {got} bytes instead of {want}"),
    )
}

/// Decodes one block's stored bytes into `out` (block-size long) and returns the useful length:
/// the block size, or for the short last block what is left of the image.
fn decode(
    map: &BlockMap,
    path: &Path,
    block: u64,
    packing: Packing,
    input: &[u8],
    out: &mut [u8],
) -> Result<usize> {
    let want = map.output_len(block);
    if packing == Packing::Plain {
        if input.len() < want {
            return Err(Error::at_block(
                path,
                block,
                format!("is stored plain in {} bytes but holds {want}", input.len()),
            ));
        }
        out[..want].copy_from_slice(&input[..want]);
        return Ok(want);
    }
    let short = (want < out.len()).then_some(want);
    let got = codec::unpack(packing, input, out, short)
        .map_err(|message| Error::at_block(path, block, message))?;
    // Writers pad the short last block to a whole block (maxcso, discus) or do not (old tools).
    if got == out.len() || (short.is_some() && got == want) {
        Ok(want.min(got))
    } else {
        Err(short_block(path, block, got, out.len()))
    }
}

impl SectorSource for CompressedSource {
    fn disc(&self) -> &Disc {
        &self.disc
    }

    fn stored_form(&self, _track: usize) -> Form {
        Form::Cooked
    }

    fn read(&mut self, track: usize, lba: Lba, buf: &mut [u8]) -> Result<()> {
        let sectors = self.disc.track(0).map_or(0, |t| t.length);
        let count = buf.len() as u64 / SECTOR;
        let inside = track == 0
            && lba.0 >= 0
            && (buf.len() as u64).is_multiple_of(SECTOR)
            && lba.0 as u64 + count <= u64::from(sectors);
        if !inside {
            return Err(Error::Usage(format!(
                "{}: no {} bytes at LBA {lba} of track {track}: the image has one track of {sectors} sectors",
                self.shared.path.display(),
                buf.len()
            )));
        }
        self.read_bytes(lba.0 as u64 * SECTOR, buf)
    }

    fn files(&self) -> Vec<PathBuf> {
        vec![self.shared.path.clone()]
    }

    fn set_threads(&mut self, threads: usize) {
        // A pool that cannot start leaves the decoding on the calling thread: slower, not wrong.
        self.pool = Some(match threads {
            0 => return self.pool = None,
            1 => Decoders::Here,
            n => rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_or(Decoders::Here, Decoders::Pool),
        });
    }

    fn details(&self) -> Vec<(String, String)> {
        let map = &self.shared.map;
        let mut counts = [0u64; 4];
        for block in 0..map.blocks() {
            if let Some(span) = map.span(block) {
                let slot = match span.packing {
                    Packing::Deflate | Packing::Zlib => 0,
                    Packing::Lz4 => 1,
                    Packing::Plain => 2,
                };
                counts[slot] += 1;
            }
        }
        let deflate_name = if map.container == Container::Dax {
            "zlib blocks"
        } else {
            "deflate blocks"
        };
        let ratio = if map.uncompressed == 0 {
            "n/a".to_string()
        } else {
            format!(
                "{:.1} % ({} of {} bytes)",
                map.file_len as f64 * 100.0 / map.uncompressed as f64,
                map.file_len,
                map.uncompressed
            )
        };
        let mut details = vec![
            ("format".to_string(), map.container.name().to_string()),
            ("version".to_string(), map.version.to_string()),
            ("block size".to_string(), map.block_size.to_string()),
            ("index shift".to_string(), map.shift.to_string()),
            ("blocks".to_string(), map.blocks().to_string()),
            (deflate_name.to_string(), counts[0].to_string()),
            ("LZ4 blocks".to_string(), counts[1].to_string()),
            ("plain blocks".to_string(), counts[2].to_string()),
            ("ratio".to_string(), ratio),
        ];
        if map.container == Container::Dax {
            details.retain(|(label, _)| label != "index shift" && label != "LZ4 blocks");
        }
        details
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use discus_core::convert::{ConvertOptions, convert};
    use discus_core::flat::FlatSource;
    use discus_core::output::Destination;
    use discus_core::{Track, TrackMode, WriteOptions};

    /// Issue 14 item 3: the reader decodes on the number of threads it is told, one included,
    /// and the bytes are the same whichever.
    #[test]
    fn i14_3_any_decoding_thread_count_reads_the_same_bytes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let iso = dir.path().join("in.iso");
        let sectors = 1500u32;
        // Text-like, random-looking and zero stretches, so every packing appears.
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let data: Vec<u8> = (0..sectors as usize * 2048)
            .map(|i| match (i / 65536) % 3 {
                0 => b"the quick brown fox "[i % 20],
                1 => {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                }
                _ => 0,
            })
            .collect();
        std::fs::write(&iso, &data).expect("write the ISO");
        let packed = dir.path().join("out.cso");
        let disc = Disc::single_session(vec![Track::new(1, TrackMode::Mode1, Lba(0), sectors)]);
        let file = File::open(&iso).expect("open the ISO");
        let mut source = FlatSource::new(&iso, file, disc, Form::Cooked, 0);
        let options = WriteOptions::default();
        let writer = crate::CSO.writer.expect("CSO writes");
        let plan = (writer.plan)(&source, &options).expect("a plan");
        let destination = Destination {
            path: packed.clone(),
            force: false,
            inputs: vec![iso.clone()],
            durable: false,
            run: None,
        };
        let sink = (writer.create)(&destination, &plan, &options).expect("a sink");
        convert(&mut source, &plan, sink, &ConvertOptions::default()).expect("packs");

        for threads in [None, Some(1), Some(2), Some(3)] {
            let mut reader = CompressedSource::open(&packed).expect("opens");
            if let Some(threads) = threads {
                reader.set_threads(threads);
            }
            let mut out = vec![0u8; data.len()];
            // Whole runs, as a conversion reads, and then a read that starts mid-block.
            for (i, chunk) in out.chunks_mut(512 * 2048).enumerate() {
                reader
                    .read(0, Lba(i as i32 * 512), chunk)
                    .expect("reads a run");
            }
            assert!(out == data, "{threads:?} thread(s)");
            let mut odd = vec![0u8; 3 * 2048];
            reader.read(0, Lba(777), &mut odd).expect("reads mid-run");
            assert!(
                odd[..] == data[777 * 2048..780 * 2048],
                "{threads:?} thread(s)"
            );
        }
    }
}
