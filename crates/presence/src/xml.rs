//! Bounded XML input: the body becomes a small tree of namespace-resolved elements.
//!
//! Presence documents are a few kilobytes, so a tree is cheaper to reason about than a streaming
//! state machine, and every name in it is already `(namespace URI, local name)`: the prefix a
//! sender chose (`p:`, `pidf:`, none) is gone before any PIDF rule looks at it. The limits below are
//! checked while reading, so hostile input costs at most [`MAX_INPUT`] bytes of work.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::PresenceError;

/// Largest body accepted, in bytes. Kamailio's composed documents for a user with a handful of
/// devices stay under 8 KiB; 64 KiB leaves room and bounds the work a hostile peer can cause.
pub const MAX_INPUT: usize = 64 * 1024;

/// Deepest element nesting accepted. PIDF with RPID needs 5 levels; extensions get the rest.
pub const MAX_DEPTH: usize = 32;

/// Most elements accepted in one document, so a body of `<a/>` repeated cannot build a huge tree.
pub const MAX_ELEMENTS: usize = 4096;

pub(crate) const PIDF: &str = "urn:ietf:params:xml:ns:pidf";
pub(crate) const DATA_MODEL: &str = "urn:ietf:params:xml:ns:pidf:data-model";
pub(crate) const RPID: &str = "urn:ietf:params:xml:ns:pidf:rpid";
pub(crate) const WATCHERINFO: &str = "urn:ietf:params:xml:ns:watcherinfo";
/// Halo's own namespace; see `Person::do_not_disturb` and docs/decisions-presence.md.
pub(crate) const HALO_DND: &str = "urn:halo:params:xml:ns:pidf:dnd";
const XML: &str = "http://www.w3.org/XML/1998/namespace";

/// One element: its resolved name, attributes, child elements and the text directly inside it.
#[derive(Debug)]
pub(crate) struct Element {
    ns: String,
    name: String,
    attrs: Vec<Attr>,
    pub(crate) children: Vec<Element>,
    text: String,
}

#[derive(Debug)]
struct Attr {
    ns: String,
    name: String,
    value: String,
}

impl Element {
    pub(crate) fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    pub(crate) fn ns(&self) -> &str {
        &self.ns
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// An unprefixed attribute: those belong to no namespace (XML Namespaces §6.3), which is
    /// where every PIDF and watcher-info attribute lives.
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_empty() && a.name == name)
            .map(|a| a.value.as_str())
    }

    /// `xml:lang`, matched by the reserved XML namespace rather than by the literal `xml:`.
    pub(crate) fn lang(&self) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns == XML && a.name == "lang")
            .map(|a| a.value.as_str())
    }

    pub(crate) fn children_named<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    pub(crate) fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    /// Text with surrounding whitespace removed: pretty-printed senders indent values.
    pub(crate) fn text(&self) -> &str {
        self.text.trim()
    }

    /// The root element, checked to be `{ns}name`.
    pub(crate) fn expect_root(
        self,
        ns: &'static str,
        name: &'static str,
    ) -> Result<Element, PresenceError> {
        if self.is(ns, name) {
            Ok(self)
        } else {
            Err(PresenceError::WrongRoot {
                expected_ns: ns,
                expected: name,
                found_ns: self.ns,
                found: self.name,
            })
        }
    }
}

/// Reads `data` into a tree, enforcing every limit of this module.
pub(crate) fn read(data: &[u8]) -> Result<Element, PresenceError> {
    if data.len() > MAX_INPUT {
        return Err(PresenceError::TooLarge {
            len: data.len(),
            max: MAX_INPUT,
        });
    }
    let text = std::str::from_utf8(data).map_err(|e| PresenceError::NotUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok((ns, event)) => (namespace(ns)?, event),
            Err(source) => {
                return Err(PresenceError::Malformed {
                    position: reader.error_position(),
                    source,
                })
            }
        };
        match event {
            Event::Start(start) => {
                let element = open(&reader, ns, &start, &root, stack.len(), &mut count)?;
                stack.push(element);
            }
            Event::Empty(start) => {
                let element = open(&reader, ns, &start, &root, stack.len(), &mut count)?;
                close(element, &mut stack, &mut root);
            }
            Event::End(_) => {
                // quick-xml has already matched the end tag against the start tag, so the stack
                // cannot be empty here; an unmatched end tag is its `Malformed` error.
                if let Some(element) = stack.pop() {
                    close(element, &mut stack, &mut root);
                }
            }
            Event::Text(t) => {
                let s = t.decode().map_err(|e| malformed(&reader, e.into()))?;
                push_text(&mut stack, &s)?;
            }
            Event::CData(t) => {
                let s = t.decode().map_err(|e| malformed(&reader, e.into()))?;
                push_text(&mut stack, &s)?;
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r.decode().map_err(|e| malformed(&reader, e.into()))?;
                        match resolve_predefined_entity(&name) {
                            Some(s) => s.to_owned(),
                            None => {
                                return Err(PresenceError::UnknownEntity {
                                    name: name.into_owned(),
                                })
                            }
                        }
                    }
                    Err(e) => return Err(malformed(&reader, e)),
                };
                push_text(&mut stack, &resolved)?;
            }
            Event::DocType(_) => return Err(PresenceError::Doctype),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.pop() {
        return Err(PresenceError::Truncated { element: open.name });
    }
    root.ok_or(PresenceError::NoRoot)
}

fn malformed(reader: &NsReader<&[u8]>, source: quick_xml::Error) -> PresenceError {
    PresenceError::Malformed {
        position: reader.error_position(),
        source,
    }
}

fn namespace(ns: ResolveResult<'_>) -> Result<String, PresenceError> {
    match ns {
        ResolveResult::Unbound => Ok(String::new()),
        ResolveResult::Bound(ns) => Ok(String::from_utf8_lossy(ns.as_ref()).into_owned()),
        ResolveResult::Unknown(prefix) => Err(PresenceError::UnknownPrefix {
            prefix: String::from_utf8_lossy(&prefix).into_owned(),
        }),
    }
}

/// Builds the element for a start tag after checking the limits.
fn open(
    reader: &NsReader<&[u8]>,
    ns: String,
    start: &BytesStart<'_>,
    root: &Option<Element>,
    depth: usize,
    count: &mut usize,
) -> Result<Element, PresenceError> {
    if root.is_some() {
        return Err(PresenceError::OutsideRoot);
    }
    if depth >= MAX_DEPTH {
        return Err(PresenceError::TooDeep { max: MAX_DEPTH });
    }
    *count += 1;
    if *count > MAX_ELEMENTS {
        return Err(PresenceError::TooMany {
            what: "elements",
            max: MAX_ELEMENTS,
        });
    }
    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| malformed(reader, e.into()))?;
        if attr.key.as_namespace_binding().is_some() {
            continue;
        }
        let (ns, local) = reader.resolver().resolve_attribute(attr.key);
        let ns = namespace(ns)?;
        let value = attr
            .unescape_value()
            .map_err(|e| malformed(reader, e))?
            .into_owned();
        attrs.push(Attr {
            ns,
            name: String::from_utf8_lossy(local.as_ref()).into_owned(),
            value,
        });
    }
    Ok(Element {
        ns,
        name,
        attrs,
        children: Vec::new(),
        text: String::new(),
    })
}

fn close(element: Element, stack: &mut [Element], root: &mut Option<Element>) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

fn push_text(stack: &mut [Element], text: &str) -> Result<(), PresenceError> {
    match stack.last_mut() {
        Some(parent) => {
            parent.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(PresenceError::OutsideRoot),
    }
}
