//! SDES: SRTP keys carried in `a=crypto` lines (RFC 4568).

use std::fmt;

use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use rand::RngCore;

use super::model::{Attribute, MediaDescription};
use super::parse::number;

/// Peers differ on base64 padding; accept both, write it padded.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The SRTP crypto suites we can run (RFC 4568 §6.2). Both use a 128-bit AES key and a 112-bit
/// salt; they differ in the authentication tag length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SrtpSuite {
    /// `AES_CM_128_HMAC_SHA1_80`: 80-bit tag, the default everybody supports.
    AesCm128HmacSha1_80,
    /// `AES_CM_128_HMAC_SHA1_32`: 32-bit tag, saving 6 bytes per packet.
    AesCm128HmacSha1_32,
}

impl SrtpSuite {
    /// Bytes of master key (16) plus master salt (14) in the `inline:` key.
    pub const KEY_SALT_LEN: usize = 30;

    /// The suite name as written in `a=crypto`.
    pub fn name(self) -> &'static str {
        match self {
            Self::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Self::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
        }
    }

    /// The suite for a name from `a=crypto`; `None` for suites we cannot run.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::AesCm128HmacSha1_80, Self::AesCm128HmacSha1_32]
            .into_iter()
            .find(|s| s.name() == name)
    }
}

/// One `a=crypto:<tag> <suite> <key-params> [<session-params>]` line.
///
/// The suite stays text so that lines for suites we cannot run still parse and can be shown;
/// [`SrtpKey::from_crypto`] narrows it to one we support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crypto {
    /// Identifies the line; the answer echoes the tag of the offer line it accepts.
    pub tag: u32,
    /// Suite name, e.g. `AES_CM_128_HMAC_SHA1_80`.
    pub suite: String,
    /// One or more `inline:` keys, separated by `;` on the wire.
    pub keys: Vec<KeyParams>,
    /// Session parameters such as `UNENCRYPTED_SRTCP`, kept verbatim.
    pub session_params: Vec<String>,
}

/// One `inline:<key||salt>[|<lifetime>][|<MKI>:<length>]` key.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyParams {
    /// The decoded master key followed by the master salt.
    pub key_salt: Vec<u8>,
    /// Packets after which the key must be replaced; `2^31` on the wire is 2147483648 here.
    pub lifetime: Option<u64>,
    /// Master key identifier, present when the sender may switch keys mid-stream.
    pub mki: Option<Mki>,
}

/// A master key identifier and the byte length it takes in each SRTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mki {
    /// The MKI value.
    pub value: u64,
    /// Its length in bytes in SRTP packets, 1..=128.
    pub length: u8,
}

impl Crypto {
    /// Parses a `crypto` attribute value; `None` if it breaks the RFC 4568 §9.1 grammar or
    /// uses a key method other than `inline`.
    pub fn parse(value: &str) -> Option<Self> {
        let mut parts = value.split_ascii_whitespace();
        let tag = number(parts.next()?).filter(|tag| *tag <= 999_999_999)?;
        let suite = parts.next()?.to_owned();
        let keys = parts
            .next()?
            .split(';')
            .map(KeyParams::parse)
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            tag,
            suite,
            keys,
            session_params: parts.map(str::to_owned).collect(),
        })
    }
}

impl KeyParams {
    fn parse(text: &str) -> Option<Self> {
        let mut fields = text.strip_prefix("inline:")?.split('|');
        let key_salt = BASE64.decode(fields.next()?).ok()?;
        let mut params = Self {
            key_salt,
            lifetime: None,
            mki: None,
        };
        for field in fields {
            match field.split_once(':') {
                Some((value, length)) if params.mki.is_none() => {
                    let length = number(length).filter(|l| (1..=128).contains(l))?;
                    params.mki = Some(Mki {
                        value: number(value)?,
                        length,
                    });
                }
                None if params.lifetime.is_none() && params.mki.is_none() => {
                    params.lifetime = Some(lifetime(field)?);
                }
                _ => return None,
            }
        }
        Some(params)
    }
}

fn lifetime(text: &str) -> Option<u64> {
    match text.strip_prefix("2^") {
        Some(exponent) => 1u64.checked_shl(number(exponent).filter(|e| *e < 64)?),
        None => number(text),
    }
}

impl fmt::Display for Crypto {
    /// The attribute value, as it follows `a=crypto:`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.tag, self.suite)?;
        for (i, key) in self.keys.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            write!(f, "inline:{}", BASE64.encode(&key.key_salt))?;
            match key.lifetime {
                Some(l) if l.is_power_of_two() && l >= 1024 => write!(f, "|2^{}", l.ilog2())?,
                Some(l) => write!(f, "|{l}")?,
                None => {}
            }
            if let Some(mki) = key.mki {
                write!(f, "|{}:{}", mki.value, mki.length)?;
            }
        }
        for param in &self.session_params {
            write!(f, " {param}")?;
        }
        Ok(())
    }
}

/// Shows everything but the key material, so that logging an SDP view leaks no secret.
impl fmt::Debug for KeyParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyParams")
            .field("key_salt", &format_args!("<{} bytes>", self.key_salt.len()))
            .field("lifetime", &self.lifetime)
            .field("mki", &self.mki)
            .finish()
    }
}

/// A usable SRTP master key for one direction, as negotiated from a `crypto` line.
#[derive(Clone, PartialEq, Eq)]
pub struct SrtpKey {
    /// Tag of the `crypto` line it came from.
    pub tag: u32,
    /// The suite to run.
    pub suite: SrtpSuite,
    /// 16-byte master key followed by the 14-byte master salt.
    pub key_salt: [u8; SrtpSuite::KEY_SALT_LEN],
    /// MKI the sender puts in each packet, if any.
    pub mki: Option<Mki>,
}

impl SrtpKey {
    /// A fresh key from the caller's RNG, which should be cryptographically secure
    /// (e.g. `rand::rngs::OsRng`) outside tests.
    pub fn generate<R: RngCore + ?Sized>(tag: u32, suite: SrtpSuite, rng: &mut R) -> Self {
        let mut key_salt = [0; SrtpSuite::KEY_SALT_LEN];
        rng.fill_bytes(&mut key_salt);
        Self {
            tag,
            suite,
            key_salt,
            mki: None,
        }
    }

    /// The key of a `crypto` line, if we support its suite and its first key has the right
    /// length. Further keys (for rekeying via MKI) are not used.
    pub fn from_crypto(crypto: &Crypto) -> Option<Self> {
        let key = crypto.keys.first()?;
        Some(Self {
            tag: crypto.tag,
            suite: SrtpSuite::from_name(&crypto.suite)?,
            key_salt: key.key_salt.as_slice().try_into().ok()?,
            mki: key.mki,
        })
    }

    /// The `a=crypto` attribute announcing this key.
    pub fn to_attribute(&self) -> Attribute {
        let crypto = Crypto {
            tag: self.tag,
            suite: self.suite.name().to_owned(),
            keys: vec![KeyParams {
                key_salt: self.key_salt.to_vec(),
                lifetime: None,
                mki: self.mki,
            }],
            session_params: Vec::new(),
        };
        Attribute::new("crypto", crypto)
    }
}

impl fmt::Debug for SrtpKey {
    /// Omits the key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrtpKey")
            .field("tag", &self.tag)
            .field("suite", &self.suite)
            .field("mki", &self.mki)
            .finish_non_exhaustive()
    }
}

impl MediaDescription {
    /// Every well-formed `a=crypto` line, in offer preference order.
    pub fn cryptos(&self) -> impl Iterator<Item = Crypto> + '_ {
        self.values("crypto").filter_map(Crypto::parse)
    }
}
