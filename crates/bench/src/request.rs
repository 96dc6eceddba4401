//! Requests as a client sends them: RESP multibulks of bulk strings
//! (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`). The load generator needs nothing else of RESP on the way
//! out, so it has its own few lines instead of depending on the server's encoder.

use bytes::{BufMut, BytesMut};

/// A whole command: its array header, then each argument as a bulk string.
pub fn command<A: AsRef<[u8]>>(out: &mut BytesMut, args: &[A]) {
    array_len(out, args.len());
    for arg in args {
        bulk(out, arg.as_ref());
    }
}

/// `*<n>\r\n`: the header of a command of `n` arguments.
pub fn array_len(out: &mut BytesMut, n: usize) {
    header(out, b'*', n);
}

/// `$<len>\r\n<bytes>\r\n`: one argument.
pub fn bulk(out: &mut BytesMut, b: &[u8]) {
    header(out, b'$', b.len());
    out.reserve(b.len() + 2);
    out.put_slice(b);
    out.put_slice(b"\r\n");
}

fn header(out: &mut BytesMut, prefix: u8, n: usize) {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(n).as_bytes();
    out.reserve(1 + digits.len() + 2);
    out.put_u8(prefix);
    out.put_slice(digits);
    out.put_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_a_multibulk_of_bulk_strings() {
        let mut out = BytesMut::new();
        command(&mut out, &[&b"SET"[..], b"k", b""]);
        assert_eq!(&out[..], b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
    }
}
