//! Dialect detection: encoding, byte-order mark, delimiter and line ending (SPEC 9).
//!
//! Runs once per input before splitting. Inputs that are not UTF-8 (UTF-16 with a
//! BOM, Windows-1252) are transcoded to UTF-8 here, so every later stage sees UTF-8;
//! what cannot be decoded becomes [`UNDECODABLE`], which fails its row with
//! `INVALID_UTF8` (SPEC 4) rather than being imported as U+FFFD.

use std::path::Path;

use crate::input::source::Source;

/// Text encodings the engine reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, with or without BOM.
    Utf8,
    /// UTF-16 little endian.
    Utf16Le,
    /// UTF-16 big endian.
    Utf16Be,
    /// Windows-1252 (a superset of printable Latin-1).
    Windows1252,
}

impl Encoding {
    /// Parses `--encoding`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Some(Self::Utf8),
            "utf-16le" | "utf16le" | "utf-16" | "utf16" => Some(Self::Utf16Le),
            "utf-16be" | "utf16be" => Some(Self::Utf16Be),
            "windows-1252" | "cp1252" | "latin-1" | "latin1" | "iso-8859-1" => Some(Self::Windows1252),
            _ => None,
        }
    }

    /// The name reported by `inspect`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "utf-8",
            Self::Utf16Le => "utf-16le",
            Self::Utf16Be => "utf-16be",
            Self::Windows1252 => "windows-1252",
        }
    }
}

/// Line endings, as seen on the first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    /// `\n`
    Lf,
    /// `\r\n`
    CrLf,
    /// `\r`
    Cr,
}

impl LineEnding {
    /// Name reported by `inspect`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Lf => "lf",
            Self::CrLf => "crlf",
            Self::Cr => "cr",
        }
    }
}

/// What detection found (or the user forced).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// Encoding of the original bytes.
    pub encoding: Encoding,
    /// Whether the input began with a byte-order mark.
    pub bom: bool,
    /// Field delimiter.
    pub delimiter: u8,
    /// Line ending of the first line.
    pub line_ending: LineEnding,
}

/// An input ready for splitting: UTF-8 bytes from `start` on, and its dialect.
///
/// The bytes are not known to be valid UTF-8: a UTF-8 input may hold broken
/// sequences, a transcoded one [`UNDECODABLE`] bytes, and a mapped file may change
/// while it is read. The decoder validates every row where it keeps it.
#[derive(Debug)]
pub struct Prepared {
    /// The bytes (transcoded if needed).
    pub source: Source,
    /// Offset of the first byte after a UTF-8 BOM.
    pub start: usize,
    /// The dialect.
    pub dialect: Dialect,
}

impl Prepared {
    /// The UTF-8 text to parse.
    pub fn text(&self) -> &[u8] {
        &self.source.bytes()[self.start..]
    }
}

/// Delimiters tried by detection, in order of preference on ties.
pub const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Bytes at the start of the text that delimiter detection looks at.
const SNIFF_SAMPLE: usize = 64 * 1024;

/// Detects the dialect and transcodes to UTF-8 where needed.
///
/// Detecting the encoding reads the whole input. An input whose header breaks a
/// size limit ([`crate::input::decode::MAX_COLUMNS`], a name over
/// [`crate::input::decode::MAX_FIELD_BYTES`]) cannot be imported whatever the rest holds:
/// when the bytes read to find that out are UTF-8, they mean the same in every
/// encoding detection could pick, so detection stops there (UTF-8) and the header
/// fails without the rest of the input being read.
pub fn prepare(source: Source, delimiter: Option<u8>, encoding: Option<Encoding>) -> Prepared {
    let bytes = source.bytes();
    let utf8_bom = bytes.starts_with(&[0xEF, 0xBB, 0xBF]);
    let utf16_bom = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    if !utf16_bom && matches!(encoding, None | Some(Encoding::Utf8)) {
        let start = if utf8_bom { 3 } else { 0 };
        let text = &bytes[start..];
        let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(text));
        if let Some(read) = crate::input::decode::header_over_limits(text, delimiter)
            && utf8_prefix(text, read.max(SNIFF_SAMPLE))
        {
            let line_ending = line_ending(&text[..read.min(text.len())]);
            let dialect = Dialect { encoding: Encoding::Utf8, bom: utf8_bom, delimiter, line_ending };
            return Prepared { source, start, dialect };
        }
    }
    let (detected, bom_len) = match bytes {
        [0xEF, 0xBB, 0xBF, ..] => (Encoding::Utf8, 3),
        [0xFF, 0xFE, ..] => (Encoding::Utf16Le, 2),
        [0xFE, 0xFF, ..] => (Encoding::Utf16Be, 2),
        _ => (if looks_like_windows_1252(&source) { Encoding::Windows1252 } else { Encoding::Utf8 }, 0),
    };
    let encoding = encoding.unwrap_or(detected);
    let bom = bom_len > 0;
    let (source, start) = match encoding {
        Encoding::Utf8 => (source, if detected == Encoding::Utf8 { bom_len } else { 0 }),
        other => {
            let codec = match other {
                Encoding::Utf16Le => encoding_rs::UTF_16LE,
                Encoding::Utf16Be => encoding_rs::UTF_16BE,
                _ => encoding_rs::WINDOWS_1252,
            };
            let body = if detected == other { &bytes[bom_len..] } else { bytes };
            let text = transcode(codec, body);
            let path = source.path().to_path_buf();
            (Source::from_bytes(text, Path::new(&path)), 0)
        }
    };
    let text = &source.bytes()[start..];
    let dialect = Dialect {
        encoding,
        bom,
        delimiter: delimiter.unwrap_or_else(|| sniff_delimiter(text)),
        line_ending: line_ending(text),
    };
    Prepared { source, start, dialect }
}

/// What the transcoded text holds in place of an input sequence that could not be
/// decoded (broken UTF-16: an unpaired surrogate, an odd last byte): a byte that
/// never occurs in UTF-8, so that the row holding it fails with `INVALID_UTF8` like a
/// broken row of a UTF-8 file, instead of importing U+FFFD as if it were data. A
/// U+FFFD that the input really holds is transcoded as such and stays data.
pub const UNDECODABLE: u8 = 0xFF;

/// Input bytes transcoded per step of [`transcode`].
const TRANSCODE_BLOCK: usize = 1 << 20;

/// Transcodes `input` (no BOM) from `codec` to UTF-8, with [`UNDECODABLE`] in place
/// of every malformed sequence.
///
/// The result is bytes, not a `String`: the input may be a mapped file that changes
/// while it is read, and the decoder checks every row's text where it is kept
/// ([`crate::input::decode`]) anyway.
fn transcode(codec: &'static encoding_rs::Encoding, input: &[u8]) -> Vec<u8> {
    use encoding_rs::DecoderResult;
    let mut decoder = codec.new_decoder_without_bom_handling();
    // `out[..len]` is the text so far; the rest of `out` is zeroed room for the
    // decoder, grown only by what is used, so that many malformed sequences do not
    // make transcoding quadratic.
    let mut out = Vec::with_capacity(input.len() + input.len() / 2);
    let mut len = 0;
    let mut rest = input;
    loop {
        let block = rest.len().min(TRANSCODE_BLOCK);
        let last = block == rest.len();
        let room = decoder
            .max_utf8_buffer_length_without_replacement(block)
            .expect("a block's transcoding fits in memory");
        if out.len() < len + room {
            out.resize(len + room, 0);
        }
        let (result, read, written) =
            decoder.decode_to_utf8_without_replacement(&rest[..block], &mut out[len..], last);
        len += written;
        rest = &rest[read..];
        match result {
            DecoderResult::Malformed(..) => {
                if len == out.len() {
                    out.push(UNDECODABLE);
                } else {
                    out[len] = UNDECODABLE;
                }
                len += 1;
            }
            DecoderResult::InputEmpty if last => {
                out.truncate(len);
                return out;
            }
            DecoderResult::InputEmpty | DecoderResult::OutputFull => {}
        }
    }
}

/// True when the first `len` bytes of `text` (all of it if shorter) are valid UTF-8,
/// a character cut at that point included.
fn utf8_prefix(text: &[u8], len: usize) -> bool {
    let end = len.min(text.len());
    (end..(end + 4).min(text.len() + 1)).any(|e| std::str::from_utf8(&text[..e]).is_ok())
}

/// True when the bytes are not UTF-8 and hold no valid multi-byte UTF-8 sequence at
/// all: then the high bytes are single-byte characters. A UTF-8 file with a few
/// broken bytes stays UTF-8, and its broken rows fail with `INVALID_UTF8`.
fn looks_like_windows_1252(source: &Source) -> bool {
    if is_utf8_parallel(source) {
        return false;
    }
    let bytes = source.bytes();
    let mut multibyte = false;
    for chunk in bytes.utf8_chunks() {
        if !chunk.valid().is_ascii() {
            multibyte = true;
            break;
        }
    }
    !multibyte
}

/// Validates UTF-8 in parallel, in 4 MiB blocks, releasing each block's pages. A block boundary inside a
/// multi-byte character moves forward to the next character start.
fn is_utf8_parallel(source: &Source) -> bool {
    use rayon::prelude::*;
    const BLOCK: usize = 4 << 20;
    let bytes = source.bytes();
    let char_start = |mut i: usize| {
        while i < bytes.len() && i % BLOCK < 4 && (bytes[i] & 0xC0) == 0x80 {
            i += 1;
        }
        i
    };
    (0..bytes.len().div_ceil(BLOCK)).into_par_iter().all(|b| {
        let start = char_start(b * BLOCK);
        let end = char_start(((b + 1) * BLOCK).min(bytes.len()));
        let ok = start >= end || simdutf8::basic::from_utf8(&bytes[start..end]).is_ok();
        // The pages are read again when their rows are decoded; until then they need
        // not stay resident.
        source.release(start..end);
        ok
    })
}

fn line_ending(text: &[u8]) -> LineEnding {
    match memchr::memchr2(b'\n', b'\r', text) {
        Some(i) if text[i] == b'\r' && text.get(i + 1) == Some(&b'\n') => LineEnding::CrLf,
        Some(i) if text[i] == b'\r' => LineEnding::Cr,
        _ => LineEnding::Lf,
    }
}

/// Picks the delimiter that splits the first records into the most consistent,
/// non-zero number of fields (counting outside quotes only).
pub fn sniff_delimiter(text: &[u8]) -> u8 {
    const RECORDS: usize = 50;
    let sample = &text[..text.len().min(SNIFF_SAMPLE)];
    let mut best = (b',', 0usize, 0usize);
    for &delim in &DELIMITERS {
        let mut counts = Vec::with_capacity(RECORDS);
        let (mut in_quotes, mut count) = (false, 0usize);
        for &b in sample {
            match b {
                b'"' => in_quotes = !in_quotes,
                b'\n' | b'\r' if !in_quotes => {
                    if count > 0 || !counts.is_empty() {
                        counts.push(count);
                    }
                    count = 0;
                    if counts.len() == RECORDS {
                        break;
                    }
                }
                _ if b == delim && !in_quotes => count += 1,
                _ => {}
            }
        }
        if count > 0 && counts.len() < RECORDS {
            counts.push(count);
        }
        counts.retain(|&c| c > 0);
        let Some(&first) = counts.first() else {
            continue;
        };
        // Score: records agreeing with the header's count, then the count itself.
        let agree = counts.iter().filter(|&&c| c == first).count();
        if (agree, first) > (best.1, best.2) {
            best = (delim, agree, first);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prep(bytes: &[u8]) -> Prepared {
        prepare(Source::from_bytes(bytes.to_vec(), Path::new("t.csv")), None, None)
    }

    #[test]
    fn delimiters_are_sniffed() {
        assert_eq!(prep(b"a;b;c\n1;2;3\n").dialect.delimiter, b';');
        assert_eq!(prep(b"a\tb\n1\t2\n").dialect.delimiter, b'\t');
        assert_eq!(prep(b"a|b\n\"x,y,z\"|2\n").dialect.delimiter, b'|');
        assert_eq!(prep(b"a,b;c\n1,2;3\n4,5;6\n").dialect.delimiter, b',');
        assert_eq!(prep(b"single\n1\n").dialect.delimiter, b',');
    }

    #[test]
    fn boms_and_encodings_are_detected() {
        let p = prep(b"\xEF\xBB\xBFa,b\r\n1,2\r\n");
        assert_eq!(
            (p.dialect.encoding, p.dialect.bom, p.dialect.line_ending),
            (Encoding::Utf8, true, LineEnding::CrLf)
        );
        assert_eq!(p.text(), b"a,b\r\n1,2\r\n");
        let p = prep(b"\xFF\xFEa\x00,\x00b\x00\n\x00");
        assert_eq!(p.dialect.encoding, Encoding::Utf16Le);
        assert_eq!(p.text(), b"a,b\n");
        let p = prep(b"name\nJos\xe9\n");
        assert_eq!(p.dialect.encoding, Encoding::Windows1252);
        assert_eq!(p.text(), "name\nJosé\n".as_bytes());
        // Valid multi-byte text plus one broken byte stays UTF-8.
        let p = prep(b"name\nJos\xc3\xa9\nbad\xff\n");
        assert_eq!(p.dialect.encoding, Encoding::Utf8);
    }

    fn utf16le(units: &[u16]) -> Vec<u8> {
        units.iter().flat_map(|u| u.to_le_bytes()).collect()
    }

    #[test]
    fn undecodable_utf16_becomes_a_byte_that_is_never_utf8_and_a_real_replacement_character_stays() {
        let text = |s: &str| s.encode_utf16().collect::<Vec<u16>>();
        // BOM, then `a\n`, an unpaired high surrogate, `\n`, an unpaired low
        // surrogate, `\n`, a genuine U+FFFD, `\n`, a pair (U+1F600), `\n`, an odd last byte.
        let mut units = vec![0xFEFF];
        units.extend(text("a\n"));
        units.extend([0xD800]);
        units.extend(text("\n"));
        units.extend([0xDC00]);
        units.extend(text("\n\u{FFFD}\n\u{1F600}\n"));
        let mut bytes = utf16le(&units);
        bytes.push(b'x');
        let p = prep(&bytes);
        assert_eq!(p.dialect.encoding, Encoding::Utf16Le);
        let mut want = b"a\n".to_vec();
        want.extend([UNDECODABLE, b'\n', UNDECODABLE, b'\n']);
        want.extend("\u{FFFD}\n\u{1F600}\n".as_bytes());
        want.push(UNDECODABLE);
        assert_eq!(p.text(), want);
        // Big endian, and a high surrogate followed by a character: that character is kept.
        let mut bytes = vec![0xFE, 0xFF];
        for u in [u16::from(b'a'), 0xD800, u16::from(b'b'), u16::from(b'\n')] {
            bytes.extend(u.to_be_bytes());
        }
        let p = prep(&bytes);
        assert_eq!(
            (p.dialect.encoding, p.text()),
            (Encoding::Utf16Be, &[b'a', UNDECODABLE, b'b', b'\n'][..])
        );
        // Windows-1252 maps every byte: nothing is undecodable.
        let p = prepare(
            Source::from_bytes(b"a\n\x81\xff\n".to_vec(), Path::new("t.csv")),
            None,
            Some(Encoding::Windows1252),
        );
        assert_eq!(p.text(), "a\n\u{81}\u{ff}\n".as_bytes());
    }

    #[test]
    fn transcoding_is_the_same_across_its_blocks() {
        // Surrogate pairs, an unpaired surrogate and characters of every UTF-8 length,
        // across a block boundary, cut at every parity.
        let unit_run: Vec<u16> = "x\u{e9}\u{20ac}\u{1F600}\n".encode_utf16().chain([0xD83D]).collect();
        let units: Vec<u16> = unit_run.iter().copied().cycle().take(TRANSCODE_BLOCK / 2 + 7).collect();
        let body = utf16le(&units);
        for cut in [0, 1, 2, 3] {
            let input = &body[cut..];
            let (whole, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(input);
            let want: Vec<u8> = whole
                .replace('\u{FFFD}', "\u{1}")
                .bytes()
                .map(|b| if b == 1 { UNDECODABLE } else { b })
                .collect();
            assert_eq!(transcode(encoding_rs::UTF_16LE, input), want, "cut {cut}");
        }
    }

    #[test]
    fn a_header_over_the_limits_is_found_before_the_whole_input_is_read() {
        let names: Vec<String> = (0..=crate::input::decode::MAX_COLUMNS).map(|i| format!("c{i}")).collect();
        // A Windows-1252 byte after the header: detection would have to read it.
        let mut bytes = names.join(";").into_bytes();
        bytes.extend_from_slice(b"\r\nJos\xe9\r\n");
        let p = prep(&bytes);
        assert_eq!((p.dialect.encoding, p.dialect.delimiter), (Encoding::Utf8, b';'));
        let e = crate::input::decode::header(p.text(), b';').unwrap_err();
        assert_eq!(e.code_str(), "TOO_MANY_COLUMNS");
        // One column less: a header, and the whole input is detected as Windows-1252.
        let mut bytes = names[1..].join(";").into_bytes();
        bytes.extend_from_slice(b"\r\nJos\xe9\r\n");
        let p = prep(&bytes);
        assert_eq!((p.dialect.encoding, p.dialect.line_ending), (Encoding::Windows1252, LineEnding::CrLf));
        // After a UTF-8 BOM too.
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(names.join(",").as_bytes());
        let p = prep(&bytes);
        assert!(p.dialect.bom && p.start == 3);
        assert_eq!(crate::input::decode::header(p.text(), b',').unwrap_err().code_str(), "TOO_MANY_COLUMNS");
    }
}
