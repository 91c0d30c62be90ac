//! Reading untrusted input text: the error every reader reports (file, line, message), the
//! size limit, and decoding (UTF-8 only, a BOM skipped, other encodings refused clearly).

/// An input that could not be read: which file, where, and what is wrong. The gate turns it
/// into a deny with exit code 2; the model reader into a model error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct InputError {
    /// The input file as given.
    pub file: String,
    /// 1-based line, when the format has lines and the position is known.
    pub line: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl InputError {
    /// An error without a position.
    pub fn new(file: &str, message: impl Into<String>) -> Self {
        InputError {
            file: file.to_string(),
            line: None,
            message: message.into(),
        }
    }

    /// An error at a line.
    pub fn at(file: &str, line: u64, message: impl Into<String>) -> Self {
        InputError {
            file: file.to_string(),
            line: Some(line),
            message: message.into(),
        }
    }
}

/// Result with the input error.
pub type Result<T> = std::result::Result<T, InputError>;

/// Largest input file read (32 MiB): a JSON input is held as a tree while it is read, up to
/// about 30 times its size (a 50 MB SARIF of 268,000 results peaked at 1.4 GB), and the gate
/// must stay under 1 GiB on a CI runner.
pub const MAX_INPUT_BYTES: usize = 32 * 1024 * 1024;
/// Decodes input text: UTF-8 (a BOM is skipped); UTF-16 and other encodings are refused clearly.
pub fn text<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str> {
    text_up_to(file, bytes, MAX_INPUT_BYTES)
}

/// [`text`] with another size limit, for inputs whose trees stay small relative to their text
/// (a Terraform plan is mostly values that are read once).
pub fn text_up_to<'a>(file: &str, bytes: &'a [u8], max: usize) -> Result<&'a str> {
    if bytes.len() > max {
        return Err(InputError::new(
            file,
            format!("input is {} bytes, over the {max}-byte limit", bytes.len()),
        ));
    }
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        return Err(InputError::new(
            file,
            "UTF-16 input is not supported; expected UTF-8 (convert it with iconv -f UTF-16 -t UTF-8)",
        ));
    }
    let bytes = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]).unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64
            + 1;
        InputError::at(file, line, "input is not valid UTF-8")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked_before_decoding() {
        assert_eq!(text_up_to("f", b"abc", 3).unwrap(), "abc");
        let e = text_up_to("f", b"abcd", 3).unwrap_err();
        assert!(e.to_string().contains("over the 3-byte limit"), "{e}");
        assert!(
            text("f", &[0xff, 0xfe, 0x41, 0])
                .unwrap_err()
                .to_string()
                .contains("UTF-16")
        );
        let e = text("f", b"ok\n\xff").unwrap_err();
        assert_eq!(e.line, Some(2));
    }
}
