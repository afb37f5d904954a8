use super::message::Message;
use super::parse::{find_head_end, parse_message, Framing};
use super::ParseError;

/// One unit read from a stream transport.
// Frames are consumed as soon as they are made, so the size of the message variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Frame {
    /// A complete message, or one whose framing was sound but whose content was not (answer
    /// a request with the error's status; the stream stays usable).
    Message(Result<Message, ParseError>),
    /// `CRLF CRLF`: a keep-alive ping; answer with a single CRLF (RFC 5626 §3.5.1).
    Ping,
    /// A single `CRLF`: the pong to our ping.
    Pong,
}

/// The stream can no longer be framed; close the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FramingError {
    #[error("message exceeds {0} bytes")]
    TooLarge(usize),
    #[error("message without a valid Content-Length on a stream")]
    NoContentLength,
}

/// Splits a TCP/TLS byte stream into SIP messages by Content-Length (RFC 3261 §18.3).
///
/// Memory is bounded: at most `max` bytes are ever buffered, so a peer that sends an endless
/// header or a huge Content-Length gets [`FramingError`] rather than our memory.
#[derive(Debug)]
pub struct StreamFramer {
    buf: Vec<u8>,
    max: usize,
}

impl StreamFramer {
    pub fn new(max: usize) -> StreamFramer {
        StreamFramer {
            buf: Vec::new(),
            max,
        }
    }

    /// Appends received bytes. Fails when they cannot be part of a message we would accept.
    pub fn push(&mut self, data: &[u8]) -> Result<(), FramingError> {
        // One read may hold a whole message plus the start of the next, so allow 2·max.
        if self.buf.len() + data.len() > 2 * self.max {
            return Err(FramingError::TooLarge(self.max));
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    /// The next complete frame, `Ok(None)` if more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FramingError> {
        if self.buf.starts_with(b"\r\n\r\n") {
            self.buf.drain(..4);
            return Ok(Some(Frame::Ping));
        }
        if self.buf.starts_with(b"\r\n") && self.buf.get(2) != Some(&b'\r') {
            self.buf.drain(..2);
            return Ok(Some(Frame::Pong));
        }
        if self.buf.starts_with(b"\r\n") {
            return Ok(None);
        }
        let Some((head_end, body_start)) = find_head_end(&self.buf) else {
            if self.buf.len() > self.max {
                return Err(FramingError::TooLarge(self.max));
            }
            return Ok(None);
        };
        let len = content_length(&self.buf[..head_end]).ok_or(FramingError::NoContentLength)?;
        let total = body_start
            .checked_add(len)
            .filter(|&t| t <= self.max)
            .ok_or(FramingError::TooLarge(self.max))?;
        if self.buf.len() < total {
            return Ok(None);
        }
        let frame: Vec<u8> = self.buf.drain(..total).collect();
        Ok(Some(Frame::Message(parse_message(
            &frame,
            Framing::Stream,
            self.max,
        ))))
    }

    /// Bytes held that are not yet a complete frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}

/// Finds Content-Length (or its compact form `l`) in a raw head.
fn content_length(head: &[u8]) -> Option<usize> {
    let head = std::str::from_utf8(head).ok()?;
    head.split('\n').skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        let name = name.trim();
        if name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("l") {
            value.trim().parse().ok()
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] =
        b"MESSAGE sip:b@h SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl: 5\r\n\r\nhello";

    #[test]
    fn frames_split_and_joined_messages() {
        let mut f = StreamFramer::new(4096);
        let mut stream = MSG.to_vec();
        stream.extend_from_slice(b"\r\n\r\n");
        stream.extend_from_slice(MSG);
        let mut got = Vec::new();
        for chunk in stream.chunks(7) {
            f.push(chunk).unwrap();
            while let Some(frame) = f.next_frame().unwrap() {
                got.push(frame);
            }
        }
        assert!(matches!(got[0], Frame::Message(Ok(_))));
        assert!(matches!(got[1], Frame::Ping));
        assert!(matches!(got[2], Frame::Message(Ok(_))));
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn endless_header_and_huge_length_are_bounded() {
        let mut f = StreamFramer::new(1024);
        f.push(b"INVITE sip:a@b SIP/2.0\r\n").unwrap();
        let mut failed = false;
        for _ in 0..100 {
            if f.push(b"X-Junk: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n")
                .is_err()
                || f.next_frame().is_err()
            {
                failed = true;
                break;
            }
        }
        assert!(failed);
        let mut f = StreamFramer::new(1024);
        f.push(b"INVITE sip:a@b SIP/2.0\r\nContent-Length: 999999\r\n\r\n")
            .unwrap();
        assert_eq!(f.next_frame().unwrap_err(), FramingError::TooLarge(1024));
        let mut f = StreamFramer::new(1024);
        f.push(b"INVITE sip:a@b SIP/2.0\r\n\r\n").unwrap();
        assert_eq!(f.next_frame().unwrap_err(), FramingError::NoContentLength);
    }

    #[test]
    fn pong_is_a_single_crlf() {
        let mut f = StreamFramer::new(1024);
        f.push(b"\r\n").unwrap();
        assert!(matches!(f.next_frame().unwrap(), Some(Frame::Pong)));
    }
}
