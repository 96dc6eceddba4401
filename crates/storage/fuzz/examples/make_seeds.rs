//! Writes the seed inputs of the fuzz targets to `seeds/<target>/` (the small corpus kept in
//! git): a few valid encodings, produced with the crate's own encoders, in each target's input
//! layout (one flags byte, then the bytes; see each target's doc comment).
//!
//!   cargo run --manifest-path crates/storage/fuzz/Cargo.toml --example make_seeds
use std::path::Path;

use kvs_storage::format::HEADER_LEN;
use kvs_storage::{
    FileHeader, FileKind, HintCodec, HintEntry, ManifestEdit, RecordCodec, RecordPos, RecordRef,
};

fn rec(r: RecordRef<'_>) -> Vec<u8> {
    r.to_bytes().expect("a valid record")
}

fn edit(add: &[u64], remove: &[u64], next_fid: u64, next_seq: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let e = ManifestEdit {
        add: add.to_vec(),
        remove: remove.to_vec(),
        next_fid,
        next_seq,
    };
    e.encode_into(&mut out).expect("a valid edit");
    out
}

/// Hint entries for `records` laid out one after the other from the header on.
fn hints(records: &[RecordRef<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offset = HEADER_LEN as u64;
    for r in records {
        let pos = RecordPos {
            offset,
            len: r.encoded_len() as u32,
        };
        HintCodec::encode(&HintEntry::for_record(r, pos), &mut out).expect("a valid entry");
        offset = pos.end();
    }
    out
}

fn header(kind: FileKind, fid: u64) -> Vec<u8> {
    FileHeader { kind, fid }.encode().to_vec()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let d = dir.join(target);
    std::fs::create_dir_all(&d)?;
    std::fs::write(d.join(name), bytes)
}

fn main() -> std::io::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let put = RecordRef::put(1, b"k", b"v");
    let ttl = RecordRef::put(2, b"key", b"value").with_expiry(1_700_000_000_000);
    let del = RecordRef::delete(3, b"k");
    let open = RecordRef::put(4, b"a", b"1").in_open_batch(true);
    let close = RecordRef::put(5, b"b", b"2");
    let records = cat(&[&rec(put), &rec(ttl), &rec(del)]);

    // record: flags bit 0 = scan as a data file, bit 1 = fields to encode.
    write(&dir, "record", "put", &cat(&[&[0], &rec(put)]))?;
    write(&dir, "record", "ttl", &cat(&[&[0], &rec(ttl)]))?;
    write(&dir, "record", "file", &cat(&[&[1], &records]))?;
    let batch = cat(&[&rec(open), &rec(close)]);
    write(
        &dir,
        "record",
        "batch_torn",
        &cat(&[&[1], &batch, &rec(put)[..10]]),
    )?;
    let mut fields = vec![2u8];
    fields.extend_from_slice(&7u64.to_le_bytes()); // seq
    fields.extend_from_slice(&99u64.to_le_bytes()); // expire_at_ms
    fields.extend_from_slice(&[0x02, 3]); // flags EXPIRES, key_len 3
    fields.extend_from_slice(b"keyvalue");
    write(&dir, "record", "fields", &fields)?;

    // hint: same flags.
    let entries = hints(&[put, ttl, del]);
    write(&dir, "hint", "one", &cat(&[&[0], &hints(&[ttl])]))?;
    write(&dir, "hint", "file", &cat(&[&[1], &entries]))?;
    write(
        &dir,
        "hint",
        "torn",
        &cat(&[&[1], &entries[..entries.len() - 3]]),
    )?;
    let mut fields = vec![2u8];
    fields.extend_from_slice(&5u64.to_le_bytes()); // seq
    fields.extend_from_slice(&0u64.to_le_bytes()); // expire_at_ms
    fields.extend_from_slice(&24u64.to_le_bytes()); // offset
    fields.extend_from_slice(&30u32.to_le_bytes()); // record_len
    fields.extend_from_slice(&[0]); // flags
    fields.extend_from_slice(b"key");
    write(&dir, "hint", "fields", &fields)?;

    // manifest: bit 1 = compact edit list, bit 2 = on disk, bit 3 = raw file.
    let snapshot = edit(&[], &[], 1, 1);
    let log = cat(&[&snapshot, &edit(&[], &[], 3, 1), &edit(&[1, 2], &[], 3, 10)]);
    write(
        &dir,
        "manifest",
        "edit",
        &cat(&[&[0], &edit(&[1], &[], 2, 1)]),
    )?;
    write(&dir, "manifest", "log_on_disk", &cat(&[&[4], &log]))?;
    let torn = cat(&[&log, &edit(&[], &[1], 3, 11)[..20]]);
    write(&dir, "manifest", "torn_on_disk", &cat(&[&[4], &torn]))?;
    let file = cat(&[&header(FileKind::Manifest, 0), &log]);
    write(&dir, "manifest", "raw_file", &cat(&[&[0x0c], &file]))?;
    // Compact list: ctl (no cut), then: allocate 3 fids; add 1, 2; remove 1 add 3 (+seq).
    let compact: &[u8] = &[
        6, 0, 0, 0, 0, //
        0x00, 3, 0, //
        0x02, 0, 5, 1, 2, //
        0x11, 0, 1, 3, 1,
    ];
    write(&dir, "manifest", "compact", compact)?;

    // scan: bits 0-1 kind (0 data, 1 hint, 2 manifest), bit 2 = prepend a header.
    let mut damaged = records.clone();
    damaged[30] ^= 0x40;
    write(&dir, "scan", "data_damaged", &cat(&[&[4], &damaged]))?;
    write(
        &dir,
        "scan",
        "hint_torn",
        &cat(&[&[5], &entries[..entries.len() - 3]]),
    )?;
    write(&dir, "scan", "manifest", &cat(&[&[6], &log]))?;
    let whole = cat(&[&header(FileKind::Data, 1), &records]);
    write(&dir, "scan", "raw_data_file", &cat(&[&[0], &whole]))?;

    // Keep the layout the targets assume in sync with the crate.
    assert_eq!(HintCodec::PREFIX_LEN, 29);
    println!("seeds written to {}", dir.display());
    Ok(())
}
