//! The crate against the contract: the error enum is exactly docs/ABI.md's error table
//! (codes and names, ranges included) and exactly the C SDK's TROUPE_GUEST_ERROR_LIST
//! (sdk/c/troupe_guest.h, itself checked against the host's values by
//! tests/component/sdk/test_sdk_constants.c); the message kinds and DOWN exit kinds are
//! the document's; src/abi.rs declares every import the document lists, and no other.
//! Run by ctest as component_sdk_rust (cargo test on the host).

use std::collections::BTreeMap;
use troupe_guest::{Down, Error, Kind, MC_BORSH, MC_CBOR, MC_JSON, PREFIX_BORSH, PREFIX_JSON};

fn read(rel: &str) -> String {
    let path = format!("{}/{}", env!("CARGO_MANIFEST_DIR"), rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {}", path, e))
}

/// The rows of the first table under "## <section>": each row's cells, trimmed, without
/// backticks; the header and |---| rows skipped.
fn table(doc: &str, section: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut inside = false;
    let mut lines = 0;
    for line in doc.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            if inside {
                break;
            }
            inside = h.starts_with(section);
            continue;
        }
        if !inside {
            continue;
        }
        if !line.starts_with('|') {
            if lines > 0 {
                break;
            }
            continue;
        }
        lines += 1;
        if lines <= 2 {
            continue;
        }
        rows.push(line.trim_matches('|').split('|')
                      .map(|c| c.trim().replace('`', "")).collect());
    }
    assert!(!rows.is_empty(), "no table under ## {}", section);
    rows
}

/// The C SDK's list: X(NAME, value) lines.
fn c_errors() -> BTreeMap<i32, String> {
    let h = read("../c/troupe_guest.h");
    let mut out = BTreeMap::new();
    for line in h.lines() {
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("X(") {
            let inner = &rest[..rest.find(')').expect("X( without )")];
            let mut parts = inner.split(',');
            let name = parts.next().unwrap().trim().to_string();
            let value: i32 = parts.next().unwrap().trim().parse().unwrap();
            if value != 0 {
                out.insert(value, name);
            }
        }
    }
    assert!(out.len() > 20, "read only {} codes from the C SDK", out.len());
    out
}

fn rust_errors() -> BTreeMap<i32, String> {
    Error::ALL.iter().map(|e| (e.code(), e.name().to_string())).collect()
}

#[test]
fn errors_are_the_c_sdks() {
    assert_eq!(rust_errors(), c_errors());
    assert_eq!(Error::ALL.len(), rust_errors().len(), "two variants share a code");
}

#[test]
fn errors_are_the_documents() {
    let doc = read("../../docs/ABI.md");
    let ours = rust_errors();
    let mut documented = BTreeMap::new();
    for row in table(&doc, "Error codes") {
        let (code, name) = (&row[0], &row[1]);
        if let Some((hi, lo)) = code.split_once("..") {
            // "-20..-28 | EMPTY … TOO_DEEP": the ends named so, every code between
            // that the SDK knows belongs to the range (the host leaves gaps).
            let (hi, lo): (i32, i32) = (hi.parse().unwrap(), lo.parse().unwrap());
            let first = name.split_whitespace().next().unwrap();
            let last = name.split_whitespace().last().unwrap();
            assert_eq!(ours.get(&hi).map(String::as_str), Some(first), "range {}", code);
            assert_eq!(ours.get(&lo).map(String::as_str), Some(last), "range {}", code);
            for c in lo..=hi {
                if let Some(n) = ours.get(&c) {
                    documented.insert(c, n.clone());
                }
            }
        } else {
            documented.insert(code.parse::<i32>().unwrap(), name.clone());
        }
    }
    assert_eq!(ours, documented);
    for e in Error::ALL {
        assert_eq!(Error::from_code(e.code()), *e);
    }
    assert_eq!(Error::from_code(-1000), Error::Unknown(-1000));
    assert_eq!(Error::from_code(-1000).name(), "UNKNOWN");
    assert_eq!(Error::Denied.to_string(), "DENIED");
    assert_eq!(Error::check(5), Ok(5));
    assert_eq!(Error::check(-61), Err(Error::MailboxFull));
}

#[test]
fn kinds_are_the_documents() {
    let doc = read("../../docs/ABI.md");
    let rows = table(&doc, "Message kinds");
    assert_eq!(rows.len(), Kind::ALL.len());
    for row in rows {
        let code: i32 = row[1].parse().unwrap();
        assert_eq!(Kind::from_code(code).name(), row[0]);
        assert_eq!(Kind::from_code(code).code(), code);
    }
    // "(0 normal, 1 shutdown, 2 killed, 3 crash, 4 noproc)" in the DOWN row.
    let down = doc.lines().find(|l| l.starts_with("| DOWN")).unwrap();
    for (code, want) in [(0, Down::Normal), (1, Down::Shutdown), (2, Down::Killed),
                         (3, Down::Crash), (4, Down::NoProc)] {
        let word = format!("{:?}", want).to_lowercase();
        assert!(down.contains(&format!("{} {}", code, word)), "{} {}", code, word);
        assert_eq!(Down::from_code(code), want);
    }
}

#[test]
fn imports_are_the_documents() {
    let doc = read("../../docs/ABI.md");
    let abi = read("src/abi.rs");
    let mut declared: Vec<String> = abi.lines().filter_map(|l| {
        let l = l.trim();
        let rest = l.strip_prefix("pub fn ")?;
        Some(rest[..rest.find('(')?].to_string())
    }).map(|n| if n == "self_" { "self".to_string() } else { n }).collect();
    declared.sort();
    let mut listed: Vec<String> = table(&doc, "Imports").into_iter().map(|r| r[0].clone()).collect();
    listed.sort();
    assert!(listed.len() >= 20);
    assert_eq!(declared, listed);
}

#[test]
fn multicodec_prefixes() {
    let doc = read("../../docs/ABI.md");
    assert!(doc.contains("Borsh `0x701`") && doc.contains("CBOR `0x51`") &&
            doc.contains("JSON `0x0200`"));
    assert_eq!((MC_CBOR, MC_JSON, MC_BORSH), (0x51, 0x0200, 0x0701));
    // unsigned LEB128 of the codes
    assert_eq!(PREFIX_JSON, [0x80 | (0x0200 & 0x7f) as u8, (0x0200 >> 7) as u8]);
    assert_eq!(PREFIX_BORSH, [0x80 | (0x0701 & 0x7f) as u8, (0x0701 >> 7) as u8]);
}
