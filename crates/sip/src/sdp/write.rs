//! Serialisation: CRLF line endings and the line order of RFC 8866 §5, whatever the input order.

use std::fmt::{self, Display, Formatter};

use super::model::{
    Attribute, Bandwidth, Connection, Line, MediaDescription, Origin, SessionDescription,
};

impl Display for SessionDescription {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        // v o s [i u e p] c b t r [z k] a m: the kept lines are split around c=/b=/t=.
        let (late, early): (Vec<&Line>, Vec<&Line>) = self
            .extra_lines
            .iter()
            .partition(|l| matches!(l.kind, 'z' | 'k'));
        write!(f, "v=0\r\no={}\r\ns={}\r\n", self.origin, self.session_name)?;
        lines(f, early)?;
        if let Some(c) = &self.connection {
            write!(f, "c={c}\r\n")?;
        }
        lines(f, &self.bandwidths)?;
        for t in &self.times {
            write!(f, "t={} {}\r\n", t.start, t.stop)?;
            for r in &t.repeats {
                write!(f, "r={r}\r\n")?;
            }
        }
        lines(f, late)?;
        lines(f, &self.attributes)?;
        self.media.iter().try_for_each(|m| m.fmt(f))
    }
}

impl Display for MediaDescription {
    /// Writes the whole section, from `m=` to its last `a=`, each line ending in CRLF.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        // m [i] c b [k] a
        let (late, early): (Vec<&Line>, Vec<&Line>) =
            self.extra_lines.iter().partition(|l| l.kind == 'k');
        write!(f, "m={} {}", self.media, self.port)?;
        if let Some(count) = self.port_count {
            write!(f, "/{count}")?;
        }
        write!(f, " {}", self.proto)?;
        for format in &self.formats {
            write!(f, " {format}")?;
        }
        f.write_str("\r\n")?;
        lines(f, early)?;
        if let Some(c) = &self.connection {
            write!(f, "c={c}\r\n")?;
        }
        lines(f, &self.bandwidths)?;
        lines(f, late)?;
        lines(f, &self.attributes)
    }
}

impl Display for Origin {
    /// The value of the `o=` line.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {}",
            self.username,
            self.sess_id,
            self.sess_version,
            self.nettype,
            self.addrtype,
            self.address
        )
    }
}

impl Display for Connection {
    /// The value of the `c=` line.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.nettype, self.addrtype, self.address)
    }
}

impl Display for Bandwidth {
    /// The whole `b=` line, without line ending.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "b={}:{}", self.kind, self.value)
    }
}

impl Display for Attribute {
    /// The whole `a=` line, without line ending.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(f, "a={}:{value}", self.name),
            None => write!(f, "a={}", self.name),
        }
    }
}

impl Display for Line {
    /// The whole line, without line ending.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.kind, self.value)
    }
}

fn lines<T: Display>(f: &mut Formatter<'_>, items: impl IntoIterator<Item = T>) -> fmt::Result {
    items
        .into_iter()
        .try_for_each(|item| write!(f, "{item}\r\n"))
}
